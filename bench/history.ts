// History figures of a workflow: events per run (following the continue-as-new chain back from
// the latest run) and the largest payload in any event, found by walking each event's fields.
import type { Client } from '@temporalio/client';

export interface HistoryStats {
  runs: number;
  maxEventsPerRun: number;
  totalEvents: number;
  largestPayloadBytes: number;
}

export async function historyStats(client: Client, workflowId: string, maxRuns = 10_000): Promise<HistoryStats> {
  const stats: HistoryStats = { runs: 0, maxEventsPerRun: 0, totalEvents: 0, largestPayloadBytes: 0 };
  let runId: string | undefined;
  for (let i = 0; i < maxRuns; i++) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    stats.runs += 1;
    stats.totalEvents += events.length;
    stats.maxEventsPerRun = Math.max(stats.maxEventsPerRun, events.length);
    for (const event of events) stats.largestPayloadBytes = Math.max(stats.largestPayloadBytes, largestPayload(event));
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
    if (!runId) break;
  }
  return stats;
}

/** Max byte length of any payload (`{metadata, data}`) nested anywhere in `value`. */
function largestPayload(value: unknown, depth = 0): number {
  if (!value || typeof value !== 'object' || depth > 12) return 0;
  if (value instanceof Uint8Array) return 0;
  const obj = value as Record<string, unknown>;
  let max = obj.data instanceof Uint8Array && 'metadata' in obj ? obj.data.byteLength : 0;
  for (const child of Object.values(obj)) max = Math.max(max, largestPayload(child, depth + 1));
  return max;
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
