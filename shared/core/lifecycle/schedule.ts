/**
 * When the scheduled maintenance runs next, from the EventBridge schedule expression infra gives the rule
 * (infra/constructs/lifecycle.ts MAINTENANCE_SCHEDULE, passed to the query API as MAINTENANCE_SCHEDULE).
 *
 * Only the forms that name a time of day are read: `cron(M H * * ? *)` (every day at H:M UTC; `?` or `*` in the day
 * fields). A `rate()` counts from the rule's creation, which no function knows, and a cron with days, months or lists
 * needs a full cron reader this one schedule does not: both answer null ("not known"), as does anything else. The
 * deploy trigger and continuations run maintenance at other times too; this is the schedule's next run only.
 */
const DAILY_CRON = /^cron\((\d{1,2}) (\d{1,2}) [*?] \* [*?] \*\)$/;

export function nextScheduledRun(expression: string, after: Date): Date | null {
  const match = DAILY_CRON.exec(expression.trim());
  if (!match) return null;
  const minute = Number(match[1]);
  const hour = Number(match[2]);
  if (minute > 59 || hour > 23) return null;
  const today = Date.UTC(after.getUTCFullYear(), after.getUTCMonth(), after.getUTCDate(), hour, minute);
  // EventBridge runs at the minute's start: a run due exactly now is this one, the next is tomorrow's.
  return new Date(today > after.getTime() ? today : today + 24 * 60 * 60_000);
}
