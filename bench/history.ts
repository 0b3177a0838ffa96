// History figures of a workflow: events per run (following the continue-as-new chain back from
// the latest run) and the largest payload in any event, found by walking each event's fields.
import type { Client } from '@temporalio/client';

export interface HistoryStats {
  runs: number;
  maxEventsPerRun: number;
  totalEvents: number;
  largestPayloadBytes: number;
  /** Sum of payload bytes in the biggest run (a lower bound of its history size). */
  maxPayloadBytesPerRun: number;
}

export async function historyStats(client: Client, workflowId: string, maxRuns = 10_000): Promise<HistoryStats> {
  const stats: HistoryStats = { runs: 0, maxEventsPerRun: 0, totalEvents: 0, largestPayloadBytes: 0, maxPayloadBytesPerRun: 0 };
  let runId: string | undefined;
  for (let i = 0; i < maxRuns; i++) {
    let events = 0;
    let runBytes = 0;
    let previousRun: string | undefined;
    // Small pages: a whole run's history can exceed the 4 MB gRPC message limit of fetchHistory().
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await client.workflowService.getWorkflowExecutionHistory({
        namespace: client.options.namespace,
        execution: { workflowId, runId },
        maximumPageSize: 200,
        nextPageToken,
      });
      for (const event of page.history?.events ?? []) {
        if (events === 0) previousRun = event.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
        events += 1;
        const sizes = payloadSizes(event);
        runBytes += sizes.sum;
        stats.largestPayloadBytes = Math.max(stats.largestPayloadBytes, sizes.max);
      }
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    stats.runs += 1;
    stats.totalEvents += events;
    stats.maxEventsPerRun = Math.max(stats.maxEventsPerRun, events);
    stats.maxPayloadBytesPerRun = Math.max(stats.maxPayloadBytesPerRun, runBytes);
    runId = previousRun;
    if (!runId) break;
  }
  return stats;
}

/** Max and total byte length of the payloads (`{metadata, data}`) nested anywhere in `value`. */
function payloadSizes(value: unknown, depth = 0): { max: number; sum: number } {
  if (!value || typeof value !== 'object' || depth > 12 || value instanceof Uint8Array) return { max: 0, sum: 0 };
  const obj = value as Record<string, unknown>;
  const own = obj.data instanceof Uint8Array && 'metadata' in obj ? obj.data.byteLength : 0;
  const result = { max: own, sum: own };
  for (const child of Object.values(obj)) {
    const inner = payloadSizes(child, depth + 1);
    result.max = Math.max(result.max, inner.max);
    result.sum += inner.sum;
  }
  return result;
}

/** Stats of up to `sample` child workflows whose ids start with `prefix` (via visibility). */
export async function childPayloadSample(client: Client, prefix: string, sample: number): Promise<number> {
  let largest = 0;
  let seen = 0;
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'retrieveDoc'` })) {
    if (!wf.workflowId.startsWith(prefix)) continue;
    const stats = await historyStats(client, wf.workflowId, 1);
    largest = Math.max(largest, stats.largestPayloadBytes);
    if (++seen >= sample) break;
  }
  return largest;
}
