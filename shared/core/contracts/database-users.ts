/**
 * The database users the application logs in as. Each function logs in as its own user, so no application session
 * can become the owner (there is no `SET ROLE` to undo with `RESET ROLE`). The owner (the cluster's master user on
 * Aurora) only migrates and maintains.
 */
export const LOGIN_USERS = {
  /** INSERT into events, and the partitions of months events may have (migration 006). */
  writer: 'audit_writer',
  /** SELECT on events; its own saved views. */
  reader: 'audit_reader',
  /** SELECT on events and event_ids; appends to the tamper-evident log (migration 010). */
  sealer: 'audit_sealer',
  /** SELECT on events and event_log; moves the sinks' cursors and records their dead letters (migration 014). */
  forwarder: 'audit_forwarder',
} as const;

export type LoginUser = (typeof LOGIN_USERS)[keyof typeof LOGIN_USERS];
export type LoginPasswords = Record<LoginUser, string>;
