// Per-credential state kept between calls (the token-refresh queue, the rate-limit gate's last
// read) must not keep the activity that last used it alive: a promise made inside an activity
// carries its async context, and one credential per user means thousands of them at 1,000 users.
import { AsyncLocalStorage } from 'node:async_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { RateLimitGate } from '../../../src/connectors/shared/rate-limit-gate.js';
import { SerialQueue } from '../../../src/connectors/shared/serial-queue.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Runs `use` inside an async context holding a fresh object; true when that object is collected afterwards. */
async function contextCollected(use: () => Promise<unknown>): Promise<boolean> {
  const storage = new AsyncLocalStorage<object>();
  let ref: WeakRef<object> | undefined;
  await (async () => {
    const activityLike = { input: new Array(1000).fill('doc') };
    ref = new WeakRef(activityLike);
    await storage.run(activityLike, use);
  })();
  for (let i = 0; i < 5 && ref!.deref(); i++) {
    await new Promise((r) => setImmediate(r)); // WeakRefs hold until the current job ends
    gc();
  }
  return ref!.deref() === undefined;
}

describe('per-credential state and async contexts', () => {
  it('given a token refresh run inside an activity, the idle queue keeps nothing of that activity', async () => {
    const queue = new SerialQueue();
    expect(await contextCollected(() => queue.run(async () => 'token'))).toBe(true);
    expect(await queue.run(async () => 'next')).toBe('next'); // still serializes
  });

  it('given a stored-hold read made inside an activity, the gate keeps nothing of that activity once it is answered', async () => {
    const gate = new RateLimitGate({ read: async () => undefined, record: async () => undefined });
    expect(await contextCollected(() => gate.refresh('credential:a'))).toBe(true);
  });
});
