// Wakes users' syncs for the webhook receiver, coalesced per user: while a `syncNow` signal to a
// user is on its way, further notifications for that user fold into one trailing signal. A burst of
// 100 notifications becomes at most two signals (the workflow folds signals into one queued cycle).
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Logger } from 'pino';
import { signalSync, syncHandle } from '../workflows/client.js';
import type { WakeTarget } from './route.js';

export interface Waker {
  wake(target: WakeTarget): void;
  /** Resolves when every signal started so far has been sent (or failed and was logged). */
  idle(): Promise<void>;
}

export class SyncNotifier implements Waker {
  private readonly inFlight = new Map<string, { again: boolean; done: Promise<void> }>();
  /** Signals sent, and notifications folded into a signal already on its way (for metrics and tests). */
  readonly counts = { signalled: 0, coalesced: 0, notRunning: 0, failed: 0 };

  constructor(
    private readonly client: Client,
    private readonly logger: Logger,
  ) {}

  wake(target: WakeTarget): void {
    const key = `${target.connector}\n${target.userId}`;
    const current = this.inFlight.get(key);
    if (current) {
      if (current.again) this.counts.coalesced += 1;
      current.again = true;
      return;
    }
    const entry = { again: false, done: Promise.resolve() };
    entry.done = this.send(target, key, entry);
    this.inFlight.set(key, entry);
  }

  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight.values()].map((e) => e.done));
  }

  private async send(target: WakeTarget, key: string, entry: { again: boolean }): Promise<void> {
    try {
      do {
        entry.again = false;
        await this.signal(target);
      } while (entry.again);
    } finally {
      this.inFlight.delete(key);
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
