// Ceiling figure: no-op child workflows per second on the same dev server, with the same
// sliding window as the content figure: the upper bound for any per-document child design.
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { installRuntimeOnce } from '../../src/workers/runtime.js';
import type { BenchServices } from '../services.js';
import { seconds } from '../sync.js';
import type { FigureRow } from '../table.js';

const WORKFLOWS = fileURLToPath(new URL('../noop-workflows.ts', import.meta.url));

export async function ceilingFigure(services: BenchServices, opts: { count: number; window: number }): Promise<FigureRow[]> {
  installRuntimeOnce('ERROR');
  const silent = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS, logger: silent });
  const connection = await NativeConnection.connect({ address: services.temporal.address });
  const taskQueue = `bench-noop-${Date.now().toString(36)}`;
  const worker = await Worker.create({ connection, namespace: services.temporal.namespace, taskQueue, workflowBundle });
  const running = worker.run();
  try {
    const t0 = performance.now();
    const done = await services.client.workflow.execute('noopFanout', {
      taskQueue,
      workflowId: `${taskQueue}/parent`,
      args: [{ count: opts.count, window: opts.window, prefix: `${taskQueue}/child` }],
    });
    if (done !== opts.count) throw new Error(`noop fan-out finished ${done} of ${opts.count} children`);
    const rate = opts.count / seconds(t0);
    return [
      {
        figure: 'content',
        metric: 'ceiling: no-op children',
        value: rate,
        unit: 'children/s',
        detail: `${opts.count} children, window ${opts.window}, in-process worker`,
      },
    ];
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
  }
}
