// One Temporal Runtime per process: Runtime.install throws if called twice, so guard it.
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

let installed = false;

export function installRuntimeOnce(level: LogLevel = 'WARN'): void {
  if (installed) return;
  installed = true;
  try {
    Runtime.install({ logger: new DefaultLogger(level) });
  } catch {
    // Already installed by someone else in this process (e.g. the test environment): keep theirs.
  }
}
