// One Temporal Runtime per process: Runtime.install throws if called twice, so guard it.
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

let installed = false;

/** `prometheusBindAddress` ("127.0.0.1:9465") makes the SDK core serve its own metrics there. */
export function installRuntimeOnce(level: LogLevel = 'WARN', prometheusBindAddress?: string): void {
  if (installed) return;
  installed = true;
  try {
    Runtime.install({
      logger: new DefaultLogger(level),
      ...(prometheusBindAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: prometheusBindAddress } } } } : {}),
    });
  } catch {
    // Already installed by someone else in this process (e.g. the test environment): keep theirs.
  }
}
