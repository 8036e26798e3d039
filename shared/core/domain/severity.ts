import { z } from 'zod';

/** Severities of the audit trail, lowest first, with the OpenTelemetry severity number each is stored with. */
export const SEVERITIES = ['INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const severitySchema = z.enum(SEVERITIES);

/** OTEL LogRecord.severityNumber: INFO=9, WARN=13, ERROR=17, FATAL=21. */
export const OTEL_SEVERITY_NUMBER: Record<Severity, number> = { INFO: 9, WARNING: 13, ERROR: 17, CRITICAL: 21 };

export function severityNumber(severity: Severity): number {
  return OTEL_SEVERITY_NUMBER[severity];
}

/** Severities at or above `min`, e.g. ERROR → [ERROR, CRITICAL]. */
export function severitiesAtLeast(min: Severity): Severity[] {
  return SEVERITIES.slice(SEVERITIES.indexOf(min));
}
