// The conformance kit: the same sync scenarios run for every connector (built-in or plugin),
// through the real engine. A connector supplies a ConformanceFixture that drives its source
// (a fake server, a directory...); the caller supplies a ConformanceEngine bound to a real
// Temporal + Postgres, and the test API (vitest's describe/it/hooks/expect, or any runner shaped
// like it). The kit itself imports neither Temporal nor a test runner.
import type { JsonObject } from '../core/contract.js';
import type { SyncSignalName } from '../workflows/client.js';
import type { SyncOptions, SyncStatus } from '../workflows/types.js';

export type SourceOp = 'listing' | 'download';

export interface SourceCall {
  op: SourceOp;
  at: Date;
}

/** Drives one user's account at the source. Names are file names / titles. */
export interface ConformanceSource {
  /** Non-secret connector config for this account. */
  config: JsonObject;
  /** Secrets stored through the credential store (the workflow sees only a ref). */
  secrets?: JsonObject;
  add(name: string, content: string): Promise<void>;
  /** Changes content in place; omit when the source's documents are immutable (e.g. e-mail). */
  modify?(name: string, content: string): Promise<void>;
  /** The stored title of a document added as `name` (default: the name itself). */
  titleOf?(name: string): string;
  remove(name: string): Promise<void>;
  /** Moves/renames keeping identity; omit when the source has no such notion. */
  rename?(from: string, to: string): Promise<void>;
  /** The source invalidates every cursor (the next listing must start over with reset). */
  invalidateCursor(): Promise<void>;
  /** Removes a document without it appearing in the change feed (only a sweep can find it). */
  removeSilently?(name: string): Promise<void>;
  /** The next call of `op` answers "slow down" for `retryAfterMs`. Omit for sources without quotas. */
  rateLimitNext?(op: SourceOp, retryAfterMs: number): Promise<void>;
  /** Every call made to the source so far (omit when calls cannot be observed). */
  calls?(): Promise<SourceCall[]>;
  /** Credentials stop working (revoked); `restoreAuth` undoes it. Omit when the source has no auth. */
  revokeAuth?(): Promise<void>;
  restoreAuth?(): Promise<void>;
  /** Downloads of this document fail permanently (omit when that cannot be arranged). */
  breakDownload?(name: string): Promise<void>;
  close?(): Promise<void>;
}

export interface ConformanceFixture {
  connector: string;
  createSource(): Promise<ConformanceSource>;
  /** A config that must be refused, and the fields the ConfigError must name. */
  invalidConfig: { config: JsonObject; fields: string[] };
  /** Checks stored text against the content written (default: equal after trimming). */
  expectText?(stored: string | null | undefined, content: string): void;
}

export interface ConformanceDoc {
  externalId: string;
  title: string;
  path: string | null;
  status: string;
  text: string | null;
  error: string | null;
  deleted: boolean;
}

export interface ConformanceSync {
  status(): Promise<SyncStatus>;
  signal(name: SyncSignalName): Promise<void>;
  /** Resolves with the workflow result, or rejects with `{type, message}` of its failure. */
  result(): Promise<unknown>;
}

export interface ConformanceEngine {
  startSync(input: {
    connector: string;
    userId: string;
    config: JsonObject;
    credentialRef?: string;
    options?: SyncOptions;
  }): Promise<ConformanceSync>;
  saveCredentials(connector: string, userId: string, secrets: JsonObject): Promise<string>;
  documents(connector: string, userId: string): Promise<ConformanceDoc[]>;
}

/** The assertions the scenarios use (vitest's and Jest's `expect` fit). */
export interface ConformanceMatchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toContain(item: unknown): void;
  toHaveLength(length: number): void;
  toBeTruthy(): void;
  toBeGreaterThan(n: number): void;
  toBeGreaterThanOrEqual(n: number): void;
  toBeLessThanOrEqual(n: number): void;
}

/** The test API the caller's runner provides: `{ describe, it, beforeAll, afterAll, expect }` from vitest. */
export interface ConformanceRunner {
  describe(name: string, body: () => void): void;
  it(name: string, body: (context: { skip(): void }) => Promise<void>): void;
  beforeAll(fn: () => Promise<unknown>): void;
  afterAll(fn: () => Promise<unknown>): void;
  expect(actual: unknown): ConformanceMatchers & { not: ConformanceMatchers };
}

export async function waitForStatus(sync: ConformanceSync, check: (s: SyncStatus) => boolean, timeoutMs = 60_000): Promise<SyncStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: SyncStatus | undefined;
  for (;;) {
    last = await sync.status().catch(() => last);
    if (last && check(last)) return last;
    if (Date.now() > deadline) throw new Error(`sync did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits for the next completed sync cycle after `previous` (lastSyncAt moves, nothing in flight). */
async function nextCaughtUp(sync: ConformanceSync, previous: SyncStatus): Promise<SyncStatus> {
  return waitForStatus(sync, (s) => s.phase === 'idle' && s.inFlight === 0 && s.lastSyncAt !== previous.lastSyncAt);
}

const OPTIONS: SyncOptions = { syncIntervalSeconds: 3600, docMaxAttempts: 2, maxInFlight: 8 };

/**
 * Registers the conformance scenarios for one connector with the caller's test runner. `engine()`
 * is read lazily so the caller can create it in a beforeAll hook. The scenarios run in order on one
 * account (each builds on the documents the previous ones left); teardown is an afterAll hook.
 */
export function defineConformanceSuite(runner: ConformanceRunner, fixture: ConformanceFixture, engine: () => ConformanceEngine): void {
  const { describe, it, afterAll, expect } = runner;
  const expectText = fixture.expectText ?? ((stored, content) => expect(stored).toBe(content.trim()));

  describe(`conformance: ${fixture.connector}`, () => {
    let source: ConformanceSource;
    let sync: ConformanceSync; // unset until the first scenario started it
    let status: SyncStatus;
    const userId = `conf-${Date.now().toString(36)}`;
    const docs = async () => engine().documents(fixture.connector, userId);
    const live = async () => (await docs()).filter((d) => !d.deleted);
    const titleOf = (name: string) => source.titleOf?.(name) ?? name;
    const byTitle = async (name: string) => (await docs()).find((d) => d.title === titleOf(name));

    // Runs even when a scenario failed half way: the sync must not keep polling the source.
    afterAll(async () => {
      try {
        // A sync that already ended refuses the signal: nothing left to stop then.
        const cancelled = sync
          ? await sync.signal('cancel').then(
              () => true,
              () => false,
            )
          : false;
        if (cancelled) await sync.result();
      } finally {
        await source?.close?.();
      }
    });

    async function syncNow(): Promise<SyncStatus> {
      const before = status;
      await sync.signal('syncNow');
      status = await nextCaughtUp(sync, before);
      return status;
    }

    it('first sync: lists every document and stores its text', async () => {
      source = await fixture.createSource();
      await source.add('alpha.txt', 'Alpha document text.');
      await source.add('beta.txt', 'Beta document text.');
      await source.add('gamma.txt', 'Gamma document text.');
      const credentialRef = source.secrets ? await engine().saveCredentials(fixture.connector, userId, source.secrets) : undefined;
      sync = await engine().startSync({ connector: fixture.connector, userId, config: source.config, credentialRef, options: OPTIONS });
      status = await waitForStatus(sync, (s) => s.phase === 'idle' && s.inFlight === 0 && s.counters.fetched === 3);
      const rows = await live();
      expect(rows.map((d) => d.title).sort()).toEqual(['alpha.txt', 'beta.txt', 'gamma.txt'].map(titleOf).sort());
      for (const row of rows) expect(row.status).toBe('fetched');
      expectText((await byTitle('beta.txt'))!.text, 'Beta document text.');
    });

    const calls = async () => (source.calls ? source.calls() : []);

    it('no-change sync: downloads nothing and lists (almost) nothing', async () => {
      const callsBefore = (await calls()).length;
      const fetchedBefore = status.counters.fetched;
      const listedBefore = status.counters.listed;
      await syncNow();
      const made = (await calls()).slice(callsBefore);
      expect(made.filter((c) => c.op === 'download')).toHaveLength(0);
      expect(made.filter((c) => c.op === 'listing').length).toBeLessThanOrEqual(1);
      expect(status.counters.fetched).toBe(fetchedBefore);
      expect(status.counters.listed).toBe(listedBefore); // nothing new or changed was written
    });

    it('add, modify and delete propagate on the next sync', async () => {
      await source.add('delta.txt', 'Delta arrives.');
      await source.modify?.('alpha.txt', 'Alpha, second edition.');
      await source.remove('gamma.txt');
      await syncNow();
      expectText((await byTitle('delta.txt'))!.text, 'Delta arrives.');
      expectText((await byTitle('alpha.txt'))!.text, source.modify ? 'Alpha, second edition.' : 'Alpha document text.');
      const gamma = await byTitle('gamma.txt');
      expect(gamma!.deleted).toBe(true);
      expect((await live()).map((d) => d.title).sort()).toEqual(['alpha.txt', 'beta.txt', 'delta.txt'].map(titleOf).sort());
    });

    it('rename keeps the document identity', async ({ skip }) => {
      if (!source.rename) return skip();
      const before = await byTitle('beta.txt');
      await source.rename('beta.txt', 'beta-renamed.txt');
      await syncNow();
      const after = (await live()).find((d) => d.title === titleOf('beta-renamed.txt'));
      expect(after?.externalId).toBe(before!.externalId);
      expectText(after?.text, 'Beta document text.');
    });

    it('reset: an invalidated cursor triggers a full re-listing and a sweep of what vanished', async () => {
      if (source.removeSilently) await source.removeSilently('delta.txt');
      await source.invalidateCursor();
      const downloadsBefore = (await calls()).filter((c) => c.op === 'download').length;
      const fetchedBefore = status.counters.fetched;
      await syncNow();
      const titles = (await live()).map((d) => d.title).sort();
      expect(titles).not.toContain(titleOf(source.removeSilently ? 'delta.txt' : 'gamma.txt'));
      expect(titles).toContain(titleOf('alpha.txt'));
      // Unchanged documents are re-listed but not downloaded again.
      expect((await calls()).filter((c) => c.op === 'download').length).toBe(downloadsBefore);
      expect(status.counters.fetched).toBe(fetchedBefore);
    });

    for (const op of ['listing', 'download'] as const) {
      it(`rate limit during ${op}: a durable wait, no call before retryAt, then the sync completes`, async ({ skip }) => {
        if (!source.rateLimitNext || !source.calls) return skip();
        await source.add(`after-${op}-limit.txt`, `Fetched after the ${op} limit.`);
        const retryAfterMs = 3_000;
        await source.rateLimitNext(op, retryAfterMs);
        const callsBefore = (await calls()).length;
        const before = status;
        await sync.signal('syncNow');
        status = await nextCaughtUp(sync, before);
        expectText((await byTitle(`after-${op}-limit.txt`))?.text, `Fetched after the ${op} limit.`);
        const made = (await calls()).slice(callsBefore);
        // The refused call is the first of its kind; the next call of any kind comes after the wait.
        const refusedAt = made.find((c) => c.op === op)!.at.getTime();
        const after = made.filter((c) => c.at.getTime() > refusedAt);
        expect(after.length).toBeGreaterThan(0);
        for (const c of after.filter((c) => c.op === op)) expect(c.at.getTime()).toBeGreaterThanOrEqual(refusedAt + retryAfterMs - 50);
        if (op === 'listing') expect(status.counters.rateLimitWaits).toBeGreaterThanOrEqual(1);
      });
    }

    it('auth failure: phase auth-failed with a clear error, then resume after credentials are fixed', async ({ skip }) => {
      if (!source.revokeAuth || !source.restoreAuth) return skip();
      await source.revokeAuth();
      await source.add('after-auth.txt', 'Fetched after auth was restored.');
      await sync.signal('syncNow');
      const failed = await waitForStatus(sync, (s) => s.phase === 'auth-failed');
      expect(failed.lastError).toBeTruthy();
      await source.restoreAuth();
      const before = status;
      await sync.signal('resume');
      status = await nextCaughtUp(sync, before);
      expectText((await byTitle('after-auth.txt'))?.text, 'Fetched after auth was restored.');
    });

    it('one document that cannot be downloaded fails alone', async ({ skip }) => {
      if (!source.breakDownload) return skip();
      await source.add('broken.txt', 'never readable');
      await source.add('fine.txt', 'Perfectly fine.');
      await source.breakDownload('broken.txt');
      await syncNow();
      const broken = await byTitle('broken.txt');
      expect(broken!.status).toBe('failed');
      expect(broken!.error).toBeTruthy();
      expect((await byTitle('fine.txt'))!.status).toBe('fetched');
      expect(status.phase).toBe('idle');
    });

    it('bad config: the sync fails fast with a ConfigError naming the fields', async () => {
      const bad = await engine().startSync({
        connector: fixture.connector,
        userId: `${userId}-badconfig`,
        config: fixture.invalidConfig.config,
        options: OPTIONS,
      });
      const failure = (await bad.result().then(
        () => undefined,
        (e: unknown) => e,
      )) as { type?: string; message?: string };
      expect(failure?.type).toBe('ConfigError');
      for (const field of fixture.invalidConfig.fields) expect(failure.message).toContain(field);
    });
  });
}
