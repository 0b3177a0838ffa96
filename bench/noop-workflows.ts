// Bench-only workflows (bundled by the ceiling figure, never by the product worker): a parent
// that fans out no-op children in a sliding window, like syncUser does with retrieveDoc.
import { condition, ParentClosePolicy, startChild } from '@temporalio/workflow';

export async function noopChild(): Promise<void> {}

export async function noopFanout(input: { count: number; window: number; prefix: string }): Promise<number> {
  let inFlight = 0;
  let done = 0;
  for (let i = 0; i < input.count; i++) {
    await condition(() => inFlight < input.window);
    inFlight++;
    const child = await startChild(noopChild, { workflowId: `${input.prefix}/${i}`, parentClosePolicy: ParentClosePolicy.ABANDON });
    void child.result().finally(() => {
      inFlight--;
      done++;
    });
  }
  await condition(() => done === input.count);
  return done;
}
