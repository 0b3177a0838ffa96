// The pages whose documents are still being fetched while later pages are listed
// ('overlap-listing'): how many are pending, and the first failure of any, rethrown to the loop.
import { condition } from '@temporalio/workflow';

export class PageFetches {
  private pending = 0;
  private failure: { error: unknown } | undefined;

  get count(): number {
    return this.pending;
  }

  /** False when nothing is fetching and nothing failed: callers skip the wait (no extra await on old paths). */
  get unsettled(): boolean {
    return this.pending > 0 || this.failure !== undefined;
  }

  /** Runs one page's fetching in the background; its failure surfaces at the next `settled`. */
  start(work: () => Promise<void>): void {
    this.pending += 1;
    void work()
      .catch((error: unknown) => void (this.failure ??= { error }))
      .finally(() => void (this.pending -= 1));
  }

  /** Waits until at most `pages` pages are still fetching; rethrows the first failure of any. */
  async settled(pages: number): Promise<void> {
    await condition(() => this.pending <= pages || this.failure !== undefined);
    if (this.failure) throw this.failure.error;
  }
}
