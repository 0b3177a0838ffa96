// Teardown that runs even when an assertion fails: inside a test, `stopAfterTest` registers the stop
// with onTestFinished; outside one (beforeAll), the caller's afterAll owns it.
import { onTestFinished } from 'vitest';
import { getCurrentTest } from 'vitest/suite';

export function stopAfterTest(stop: () => unknown): void {
  if (!getCurrentTest()) return;
  onTestFinished(async () => {
    await stop();
  });
}
