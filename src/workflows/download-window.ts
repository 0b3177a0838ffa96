// The documents a syncUser run has in flight, and how many it may have: an AIMD window per
// credential that halves when the source rate-limits a download and grows back by one per
// finished document, plus the hold that keeps new downloads from starting before retryAt.
import { condition } from '@temporalio/workflow';

export interface SlotWait {
  cancelled(): boolean;
  /** Called each time the wait settles into a hold until `resumeAt` (the status shows it). */
  onHold(resumeAt: Date): void;
}

export class DownloadWindow {
  private readonly inFlight: Set<string>;
  private size: number;
  /** Epoch ms before which no new download may start (0: no hold). */
  private holdUntil = 0;

  constructor(
    private readonly maxInFlight: number,
    carriedInFlight: readonly string[],
  ) {
    this.inFlight = new Set(carriedInFlight);
    this.size = maxInFlight;
  }

  get count(): number {
    return this.inFlight.size;
  }

  has(childId: string): boolean {
    return this.inFlight.has(childId);
  }

  ids(): string[] {
    return [...this.inFlight];
  }

  /** True while a rate-limit hold is on: nothing may call the source for downloads. */
  held(): boolean {
    return this.holdUntil > Date.now();
  }

  started(childId: string): void {
    this.inFlight.add(childId);
  }

  /** A child finished (by result or by its docDone signal); false when it was already counted. */
  finished(childId: string): boolean {
    if (!this.inFlight.delete(childId)) return false;
    this.size = Math.min(this.maxInFlight, this.size + 1);
    return true;
  }

  /**
   * A download hit the source's rate limit: hold new downloads until `retryAt` and halve the
   * window, once per wait (every child caught by the same wait reports it). Children already
   * sleeping wake at their own retryAt, so the user's API is not stampeded.
   */
  hold(retryAt: string): void {
    if (this.holdUntil <= Date.now()) this.size = Math.max(1, Math.floor(this.size / 2));
    this.holdUntil = Math.max(this.holdUntil, new Date(retryAt).getTime());
  }

  /** Waits (durably: a timer) until no hold is on; false when the sync was cancelled meanwhile. */
  async waitOutHold(wait: SlotWait): Promise<boolean> {
    while (this.held() && !wait.cancelled()) {
      wait.onHold(new Date(this.holdUntil));
      await condition(() => wait.cancelled(), this.holdUntil - Date.now());
    }
    return !wait.cancelled();
  }

  /** Waits (durably) for a free slot outside any hold; false when the sync was cancelled meanwhile. */
  async waitForSlot(wait: SlotWait): Promise<boolean> {
    // A hold can begin while we wait for a free slot: re-check it whenever the wait ends.
    for (;;) {
      await this.waitOutHold(wait);
      await condition(() => this.inFlight.size < this.size || this.held() || wait.cancelled());
      if (wait.cancelled()) return false;
      if (!this.held()) return true;
    }
  }
}
