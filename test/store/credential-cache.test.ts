// The per-process cache of decrypted credentials (store/credentials.ts) against a real Postgres:
// reused within its TTL, replaced at once when this process saves refreshed secrets, re-read after
// the TTL, and `update` merges into what the table holds, not into a cached copy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialStore, encryptSecrets, secretKeyFrom } from '../../src/store/credentials.js';
import { createHarness, eventually, TEST_SECRET_KEY, type Harness } from '../support/harness.js';

describe('credential cache', () => {
  let h: Harness;
  const key = secretKeyFrom(TEST_SECRET_KEY);
  /** What another process (a second worker, `docsync connect`) does: writes the row without this process's store. */
  const replaceElsewhere = (ref: string, secrets: Record<string, string>) =>
    h.pool.query('UPDATE credentials SET ciphertext = $2, updated_at = now() WHERE ref = $1', [ref, encryptSecrets(key, secrets)]);

  beforeAll(async () => {
    h = await createHarness('q8_credcache');
  });
  afterAll(async () => h?.close());

  it('given a loaded credential replaced by another process, this process keeps the decrypted copy until the TTL ends', async () => {
    const store = new CredentialStore(h.pool, key, 60_000);
    const ref = await store.save('sample', 'q8-cache-a', { token: 'one' });
    expect((await store.load(ref)).secrets).toEqual({ token: 'one' });
    await replaceElsewhere(ref, { token: 'two' });
    expect((await store.load(ref)).secrets).toEqual({ token: 'one' });
    // A store without a TTL reads the table every time.
    expect((await new CredentialStore(h.pool, key, 0).load(ref)).secrets).toEqual({ token: 'two' });
  });

  it('given a short TTL, a credential replaced by another process is read again once the TTL is over', async () => {
    const store = new CredentialStore(h.pool, key, 50);
    const ref = await store.save('sample', 'q8-cache-b', { token: 'one' });
    await store.load(ref);
    await replaceElsewhere(ref, { token: 'two' });
    await eventually(async () => (await store.load(ref)).secrets.token === 'two', 10_000, 20);
  });

  it('given refreshed secrets saved in this process, the next load sees them at once, through any store on the pool', async () => {
    const worker = new CredentialStore(h.pool, key, 60_000);
    const other = new CredentialStore(h.pool, key, 60_000);
    const ref = await worker.save('sample', 'q8-cache-c', { refreshToken: 'r', accessToken: 'old' });
    await worker.load(ref);
    await other.update(ref, { accessToken: 'new' });
    expect((await worker.load(ref)).secrets).toEqual({ refreshToken: 'r', accessToken: 'new' });
  });

  it('given a patch, update merges into the stored secrets, not into a stale cached copy', async () => {
    const store = new CredentialStore(h.pool, key, 60_000);
    const ref = await store.save('sample', 'q8-cache-d', { refreshToken: 'r1' });
    await store.load(ref);
    await replaceElsewhere(ref, { refreshToken: 'r2', accountId: 'acc' });
    await store.update(ref, { accessToken: 't' });
    expect((await new CredentialStore(h.pool, key, 0).load(ref)).secrets).toEqual({
      refreshToken: 'r2',
      accountId: 'acc',
      accessToken: 't',
    });
  });

  it('given a caller that changes the secrets it loaded, the cached credential is unchanged', async () => {
    const store = new CredentialStore(h.pool, key, 60_000);
    const ref = await store.save('sample', 'q8-cache-e', { token: 'one' });
    (await store.load(ref)).secrets.token = 'mutated';
    expect((await store.load(ref)).secrets).toEqual({ token: 'one' });
  });
});
