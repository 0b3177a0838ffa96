// One rate-limit gate per credential, for every connector: a call that would start inside a wait the
// provider announced (429 + Retry-After, Google's 403 rateLimitExceeded) fails fast with
// RateLimitError(retryAt) without touching the network, and a RateLimitError thrown by any call
// records the wait for every other caller of that credential. Holds are cached in the process and,
// when the engine gives a store, persisted so every worker of the deployment sees them.
import { RateLimitError, type ErrorContext } from '../../core/errors.js';
import type { CallGate, ConnectorContext } from '../../core/contract.js';

/** Where holds are shared between processes (Postgres: store/rate-limit-holds.ts). */
export interface RateLimitHoldStore {
  read(credentialKey: string): Promise<Date | undefined>;
  record(credentialKey: string, retryAt: Date): Promise<void>;
}

export interface GateScope {
  connector: string;
  userId: string;
}

/**
 * A call re-reads the stored hold when the last read of it is older than this: a wait another worker
 * recorded stops this worker's next call too (not only its next activity), for at most one indexed
 * read per credential per interval, shared by the calls that start meanwhile.
 */
const STORED_HOLD_MAX_AGE_MS = 25;

/** A read already answered, made at module load (outside any activity's async context). */
const SETTLED: Promise<void> = Promise.resolve();

export class RateLimitGate {
  /** credential key → epoch ms until which calls are refused. */
  private readonly holds = new Map<string, number>();
  /** credential key → the latest read of its stored hold (started at `at`). */
  private readonly reads = new Map<string, { at: number; done: Promise<void> }>();

  constructor(
    private readonly store?: RateLimitHoldStore,
    /** A store failure only costs the cross-worker view; the local hold still applies. */
    private readonly onStoreError: (err: unknown) => void = () => undefined,
  ) {}

  /** Pulls the shared hold into the cache (cheap: one indexed read), unless a read of it started within `maxAgeMs`. */
  refresh(credentialKey: string, maxAgeMs = 0): Promise<void> {
    const { store } = this;
    if (!store) return Promise.resolve();
    const last = this.reads.get(credentialKey);
    if (last && Date.now() - last.at <= maxAgeMs) return last.done;
    const done = (async () => {
      try {
        const retryAt = await store.read(credentialKey);
        if (retryAt) this.raise(credentialKey, retryAt.getTime());
      } catch (err) {
        this.onStoreError(err);
      }
    })();
    const entry = { at: Date.now(), done };
    this.reads.set(credentialKey, entry);
    // Once settled, keep only the time: the promise carries the async context of the activity that
    // started the read (its Context, logger, input), which the map would otherwise keep per credential.
    void done.then(() => {
      if (this.reads.get(credentialKey) === entry) this.reads.set(credentialKey, { at: entry.at, done: SETTLED });
    });
    return done;
  }

  /** The wait in force for this credential, if any. */
  holdOf(credentialKey: string): Date | undefined {
    const until = this.holds.get(credentialKey);
    if (until === undefined) return undefined;
    if (Date.now() >= until) {
      this.holds.delete(credentialKey);
      return undefined;
    }
    return new Date(until);
  }

  /** Records a wait: cached at once (same-process callers stop now), then shared through the store. */
  async record(credentialKey: string, retryAt: Date): Promise<void> {
    this.raise(credentialKey, retryAt.getTime());
    if (!this.store) return;
    try {
      await this.store.record(credentialKey, retryAt);
    } catch (err) {
      this.onStoreError(err);
    }
  }

  forCredential(credentialKey: string, scope: GateScope): CallGate {
    const check = (operation: string, externalId?: string) => {
      const retryAt = this.holdOf(credentialKey);
      if (!retryAt) return;
      const context: ErrorContext = { connector: scope.connector, userId: scope.userId, externalId };
      throw new RateLimitError(
        retryAt,
        `${scope.connector} ${operation} for user ${scope.userId}: rate limited until ${retryAt.toISOString()} (no request sent)`,
        context,
      );
    };
    return {
      check,
      run: async (operation, call, externalId) => {
        check(operation, externalId);
        await this.refresh(credentialKey, STORED_HOLD_MAX_AGE_MS);
        check(operation, externalId);
        try {
          return await call();
        } catch (err) {
          if (err instanceof RateLimitError) await this.record(credentialKey, err.retryAt);
          throw err;
        }
      },
    };
  }

  private raise(credentialKey: string, until: number): void {
    if (until <= Date.now()) return;
    this.holds.set(credentialKey, Math.max(this.holds.get(credentialKey) ?? 0, until));
  }
}

/** Without an engine (tests, tools): one process-local gate, keyed by the connector's own credential fingerprint. */
const localGate = new RateLimitGate();

/** Lets every call through: for hand-built contexts of connectors that keep no wait of their own. */
const OPEN_GATE: CallGate = { check: () => undefined, run: (_operation, call) => call() };

/**
 * The context's gate; without one (no engine), a process-local gate for `credentialFingerprint`,
 * or no gate at all when the connector gives no fingerprint.
 */
export function gateOf(ctx: ConnectorContext<unknown>, connector: string, credentialFingerprint?: string): CallGate {
  if (ctx.rateLimitGate) return ctx.rateLimitGate;
  if (credentialFingerprint === undefined) return OPEN_GATE;
  return localGate.forCredential(`local:${connector}:${credentialFingerprint}`, { connector, userId: ctx.userId });
}
