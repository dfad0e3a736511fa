import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stdout (one object per line), level from `LOG_LEVEL` (default `info`).
 * `time` is ISO-8601 and the level is a name, so logs read well without a formatter.
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

/** A logger that drops everything (tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
