// Runs async tasks one at a time, in arrival order. Used to serialize OAuth token
// refreshes per credential: each task re-checks whether a refresh is still needed, so
// N concurrent callers that all saw an expired token cause exactly one refresh.

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    // The chain must survive a failed task; callers see the failure through `result`.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
