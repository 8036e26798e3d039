// Imported first by bench/main.ts, so these defaults are set before any module of the local stack loads (the tracer
// is chosen when shared/apps/runtime/observability.ts loads). The handlers log through Powertools: stdout stays for
// the report.
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
