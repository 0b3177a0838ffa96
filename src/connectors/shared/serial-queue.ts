// Runs async tasks one at a time, in arrival order. Used to serialize OAuth token
// refreshes per credential: each task re-checks whether a refresh is still needed, so
// N concurrent callers that all saw an expired token cause exactly one refresh.

/**
 * Made at module load, outside any activity: a promise created inside one carries its async context
 * (the activity's Context, logger, input), so an idle queue holding its last task's promise kept that
 * activity alive for as long as the queue lived (one queue per credential: thousands at 1,000 users).
 */
const IDLE: Promise<unknown> = Promise.resolve();

export class SerialQueue {
  private tail: Promise<unknown> = IDLE;

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    // The chain must survive a failed task; callers see the failure through `result`.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tail = tail;
    void tail.then(() => {
      if (this.tail === tail) this.tail = IDLE;
    });
    return result;
  }
}
