// Wakes users' syncs for the webhook receiver, coalesced per user: the first notification signals
// `syncNow` at once; notifications arriving while that signal is on its way or during the quiet
// period after it fold into one trailing signal, sent once the user's notifications have paused for
// `quietMs` (at most `maxDelayMs` after the trailing wait began). A burst of 100 notifications thus
// becomes at most two signals (one running cycle, one queued), however the requests are spread.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Logger } from 'pino';
import { signalSync, syncHandle } from '../workflows/client.js';
import type { WakeTarget } from './route.js';

export interface SyncNotifierOptions {
  /** A user's notifications must pause this long before the trailing signal (default 1 s). */
  quietMs?: number;
  /** The trailing signal waits for quiet at most this long (default 5 s), so a steady stream still wakes the sync. */
  maxDelayMs?: number;
}

interface Pending {
  /** A notification arrived after the last signal started: one more is owed. */
  again: boolean;
  lastAt: number;
  done: Promise<void>;
}

export interface Waker {
  wake(target: WakeTarget): void;
  /** Resolves when every signal started so far has been sent (or failed and was logged). */
  idle(): Promise<void>;
}

export class SyncNotifier implements Waker {
  private readonly inFlight = new Map<string, Pending>();
  /** Signals sent, and notifications folded into a signal already on its way (for metrics and tests). */
  readonly counts = { signalled: 0, coalesced: 0, notRunning: 0, failed: 0 };

  private readonly quietMs: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly client: Client,
    private readonly logger: Logger,
    options: SyncNotifierOptions = {},
  ) {
    this.quietMs = options.quietMs ?? 1_000;
    this.maxDelayMs = options.maxDelayMs ?? 5_000;
  }

  wake(target: WakeTarget): void {
    const key = `${target.connector}\n${target.userId}`;
    const current = this.inFlight.get(key);
    if (current) {
      if (current.again) this.counts.coalesced += 1;
      current.again = true;
      current.lastAt = Date.now();
      return;
    }
    const entry: Pending = { again: false, lastAt: Date.now(), done: Promise.resolve() };
    entry.done = this.send(target, key, entry);
    this.inFlight.set(key, entry);
  }

  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight.values()].map((e) => e.done));
  }

  private async send(target: WakeTarget, key: string, entry: Pending): Promise<void> {
    try {
      await this.signal(target);
      for (;;) {
        await this.quiet(entry);
        if (!entry.again) return;
        entry.again = false;
        await this.signal(target);
      }
    } finally {
      this.inFlight.delete(key);
    }
  }

  /** Returns once the user's notifications paused for quietMs, or maxDelayMs after a trailing signal became owed. */
  private async quiet(entry: Pending): Promise<void> {
    const start = Date.now();
    for (;;) {
      const now = Date.now();
      const untilQuiet = entry.lastAt + this.quietMs - now;
      const untilCap = entry.again ? start + this.maxDelayMs - now : Infinity;
      const wait = Math.min(untilQuiet, untilCap);
      if (wait <= 0) return;
      await sleep(wait);
    }
  }

  private async signal(target: WakeTarget): Promise<void> {
    try {
      await signalSync(syncHandle(this.client, target.connector, target.userId), 'syncNow');
      this.counts.signalled += 1;
      this.logger.debug({ connector: target.connector, userId: target.userId }, 'sync woken by a push notification');
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        // A notification for a user whose sync is not running: nothing to wake (its next start lists anyway).
        this.counts.notRunning += 1;
        this.logger.info({ connector: target.connector, userId: target.userId }, 'push notification for a sync that is not running');
        return;
      }
      this.counts.failed += 1;
      this.logger.warn({ connector: target.connector, userId: target.userId, err: (err as Error).message }, 'could not signal the sync');
    }
  }
}
