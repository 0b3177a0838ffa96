// Following the change feed live: Postgres LISTEN/NOTIFY wakes the follower soon after a change
// commits, and readChanges (by seq) is the truth, so a lost notification (a dropped connection, a
// row readable only once an older transaction ended) costs at most one poll interval, never a row.
// Writers announce after their commit (ChangeAnnouncer), never inside it: a notifying transaction
// takes a cluster-wide lock at commit.
// With a named consumer the position lives in Postgres and advances after the handler succeeded
// (at-least-once: a crash between the two hands the same rows over again).
import type pg from 'pg';
import { ConfigError } from '../core/errors.js';
import { cursorOf, DEFAULT_CHANGES_PER_READ, readChanges, type Change, type ChangeQuery } from './changes.js';
import { acknowledgeChanges, consumerPosition } from './consumers.js';
import type { Queryable } from './db.js';

export const CHANGES_CHANNEL = 'docsync_changes';

export interface FollowOptions {
  /** Start after this seq (default 0); with `consumer`, only where the consumer is new. */
  since?: ChangeQuery['since'];
  /** A named cursor kept in Postgres: the follow resumes where this consumer acknowledged last. */
  consumer?: string;
  connector?: string;
  userId?: string;
  /** Stops the follow; the promise then resolves. */
  signal: AbortSignal;
  /** Reads at least this often even without a notification (default 2000 ms). */
  pollIntervalMs?: number;
  /** Rows handed to the handler at once, at most (default 1000). */
  batchSize?: number;
}

/** Hands every change after the start to `handle`, in seq order, batch by batch, until `signal` aborts. */
export async function followChanges(pool: pg.Pool, options: FollowOptions, handle: (changes: Change[]) => Promise<void>): Promise<void> {
  const pollIntervalMs = options.pollIntervalMs ?? 2000;
  if (!Number.isFinite(pollIntervalMs) || pollIntervalMs <= 0) {
    throw new ConfigError(`pollIntervalMs must be a number > 0, got ${pollIntervalMs}`, ['pollIntervalMs']);
  }
  const start = cursorOf(options.since ?? 0);
  let cursor = options.consumer ? await consumerPosition(pool, options.consumer, start) : start;
  const wake = new Wakeup();
  const listener = await listen(pool, wake);
  const stop = () => wake.ring();
  options.signal.addEventListener('abort', stop);
  try {
    while (!options.signal.aborted) {
      wake.reset(); // a commit from here on wakes the wait below, even one landing during the read
      const rows = await readChanges(pool, {
        since: cursor,
        connector: options.connector,
        userId: options.userId,
        limit: options.batchSize ?? DEFAULT_CHANGES_PER_READ,
      });
      if (rows.length === 0) {
        await wake.wait(pollIntervalMs);
        continue;
      }
      await handle(rows);
      cursor = rows[rows.length - 1].seq;
      if (options.consumer) await acknowledgeChanges(pool, options.consumer, cursor);
    }
  } finally {
    options.signal.removeEventListener('abort', stop);
    await listener.close();
  }
}

/** A LISTEN on its own pooled connection; when that connection fails the follow goes on by polling. */
async function listen(pool: pg.Pool, wake: Wakeup): Promise<{ close(): Promise<void> }> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onNotify = (message: pg.Notification) => message.channel === CHANGES_CHANNEL && wake.ring();
  const onError = (err: Error) => {
    broken = err;
    wake.ring();
  };
  client.on('notification', onNotify);
  client.on('error', onError);
  await client.query(`LISTEN ${CHANGES_CHANNEL}`);
  return {
    async close() {
      client.off('notification', onNotify);
      if (!broken) await client.query(`UNLISTEN ${CHANGES_CHANNEL}`).catch((err: Error) => (broken = err));
      client.off('error', onError);
      client.release(broken); // a broken connection is discarded, not handed back to the pool
    },
  };
}

/** A resettable wake-up: `wait` resolves on the next ring (or one since the last reset) or after a timeout. */
class Wakeup {
  private rung = false;
  private waiter: (() => void) | undefined;

  ring(): void {
    this.rung = true;
    this.waiter?.();
  }

  reset(): void {
    this.rung = false;
  }

  wait(timeoutMs: number): Promise<void> {
    if (this.rung) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiter = done;
    });
  }
}

/**
 * Wakes followers after changes committed: at most one `NOTIFY` per `intervalMs` per process, in its
 * own tiny statement (a burst of commits costs one), sent `intervalMs` after the first commit of a
 * burst at the latest. Failures only cost followers a poll interval, so they go to `onError`.
 */
export class ChangeAnnouncer {
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;

  constructor(
    private readonly db: Queryable,
    private readonly intervalMs = 50,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /** Call after a transaction that wrote change rows committed. */
  committed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sending = this.notify().finally(() => (this.sending = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Sends what is pending now (at shutdown) and waits for it. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      await this.notify();
    }
    await this.sending;
  }

  private notify(): Promise<void> {
    return this.db.query(`SELECT pg_notify('${CHANGES_CHANNEL}', '')`).then(() => undefined, this.onError);
  }
}
