// One Temporal Runtime per process (Runtime.install throws if called twice, so guard it), and the
// bridge that makes the SDK's own logs, TypeScript side and Rust core alike, lines of the worker's
// pino logger: one JSON object per line, no multi-line dumps, no stacks for expected outcomes.
import {
  DefaultLogger,
  Runtime,
  type LogLevel,
  type LogMetadata,
  type Logger as SdkLogger,
  type TelemetryOptions,
} from '@temporalio/worker';
import type { Logger as PinoLogger } from 'pino';

let installed = false;

/**
 * Failures the workflows handle as a normal outcome: a rate-limit wait, an auth wait, a skipped or
 * gone document. Their logs keep type and message; a stack would only look like a crash.
 */
const EXPECTED_FAILURE_TYPES = new Set(['RateLimitError', 'AuthError', 'UnsupportedContentError', 'NotFoundError']);

const PINO_LEVEL = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/** The SDK's level for the most verbose pino level enabled, so core does not produce what pino drops. */
function sdkLevelFor(pino: PinoLogger): LogLevel {
  if (pino.isLevelEnabled('trace')) return 'TRACE';
  if (pino.isLevelEnabled('debug')) return 'DEBUG';
  if (pino.isLevelEnabled('info')) return 'INFO';
  return pino.isLevelEnabled('warn') ? 'WARN' : 'ERROR';
}

function isExpected(err: Error & { type?: unknown; category?: unknown }): boolean {
  return err.category === 'BENIGN' || (typeof err.type === 'string' && EXPECTED_FAILURE_TYPES.has(err.type));
}

/** An error as a flat JSON object; the stack only for unexpected errors (and then as one JSON string). */
function serializeError(err: Error & { type?: unknown; cause?: unknown }, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  if (typeof err.type === 'string') out.type = err.type;
  if (!isExpected(err) && err.stack) out.stack = err.stack;
  if (err.cause instanceof Error && depth < 3) out.cause = serializeError(err.cause, depth + 1);
  return out;
}

/** Meta as pino fields: errors flattened, bigints (core timestamps, ids) as strings; symbol keys are dropped by JSON anyway. */
function toFields(meta: LogMetadata | undefined): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta ?? {})) {
    // Not under pino's `err` key: its serializer would add the stack back.
    if (value instanceof Error) fields[key] = serializeError(value);
    else fields[key] = typeof value === 'bigint' ? value.toString() : value;
  }
  return fields;
}

/** The SDK's Logger interface written through pino. */
function sdkLoggerFor(pino: PinoLogger): SdkLogger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata): void => {
    const fields = toFields(meta);
    // An activity failing with an expected, handled outcome is not a warning for whoever reads the logs.
    const err = meta?.error as (Error & { type?: string; category?: string }) | undefined;
    const pinoLevel = level === 'WARN' && err instanceof Error && isExpected(err) ? 'debug' : PINO_LEVEL[level];
    pino[pinoLevel](fields, message);
  };
  return {
    log,
    trace: (m, meta) => log('TRACE', m, meta),
    debug: (m, meta) => log('DEBUG', m, meta),
    info: (m, meta) => log('INFO', m, meta),
    warn: (m, meta) => log('WARN', m, meta),
    error: (m, meta) => log('ERROR', m, meta),
  };
}

/** `logger` at INFO and below becomes DEBUG: chatter (the bundler's webpack report) shown only with LOG_LEVEL=debug. */
export function demotedLogger(logger: SdkLogger): SdkLogger {
  const demote = (level: LogLevel): LogLevel => (level === 'INFO' ? 'DEBUG' : level);
  return {
    log: (level, m, meta) => logger.log(demote(level), m, meta),
    trace: (m, meta) => logger.trace(m, meta),
    debug: (m, meta) => logger.debug(m, meta),
    info: (m, meta) => logger.debug(m, meta),
    warn: (m, meta) => logger.warn(m, meta),
    error: (m, meta) => logger.error(m, meta),
  };
}

/** The process's runtime logger (installing the default runtime if nobody did). */
export const runtimeLogger = (): SdkLogger => Runtime.instance().logger;

/**
 * `prometheusBindAddress` ("127.0.0.1:9465") makes the SDK core serve its own metrics there. With a
 * pino `logger`, SDK and core logs are forwarded through it (level from the logger); without one,
 * the SDK's DefaultLogger at `level` writes to stderr as before (tests, benches).
 */
export function installRuntimeOnce(level: LogLevel = 'WARN', prometheusBindAddress?: string, logger?: PinoLogger): void {
  if (installed) return;
  installed = true;
  const telemetryOptions: TelemetryOptions = {};
  if (prometheusBindAddress) telemetryOptions.metrics = { prometheus: { bindAddress: prometheusBindAddress } };
  if (logger) {
    // Core's INFO is per-poll chatter: forward WARN and up unless debugging.
    const sdkLevel = sdkLevelFor(logger);
    const core = sdkLevel === 'TRACE' || sdkLevel === 'DEBUG' ? sdkLevel : 'WARN';
    telemetryOptions.logging = { filter: { core, other: 'ERROR' }, forward: {} };
  }
  try {
    Runtime.install({
      logger: logger ? sdkLoggerFor(logger) : new DefaultLogger(level),
      ...(Object.keys(telemetryOptions).length ? { telemetryOptions } : {}),
    });
  } catch (err) {
    // Already installed by someone else in this process (e.g. the test environment): keep theirs.
    // Anything else (a core metrics port in use) is a startup error the operator must see.
    if ((err as Error).name !== 'IllegalStateError') throw err;
  }
}
