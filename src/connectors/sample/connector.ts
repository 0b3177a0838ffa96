// The sample connector: replays the original framework's demo stages against a SampleSource.
// Listing is paged (pageSize) so tests can interrupt a sync mid-listing: a snapshot of the ids,
// then the journal from the seq taken before it (the two-phase lister).
import { z } from 'zod';
import {
  secret,
  type Connector,
  type ConnectorContext,
  type DataResult,
  type DocMetadata,
  type MetadataPage,
  type Milestone,
} from '../../core/contract.js';
import { AuthError, NotFoundError, RateLimitError } from '../../core/errors.js';
import { unreadableMilestone } from '../shared/milestone-schema.js';
import { listTwoPhase, type TwoPhasePosition, type TwoPhaseSource } from '../shared/two-phase-lister.js';
import { SampleSource, type SampleState } from './source.js';

export const sampleConfigSchema = z.object({
  sourceDir: z.string().min(1),
  pageSize: z.number().int().min(1).max(1000).default(2),
  /** Simulated latency of each listing call, so tests can stop a worker between pages. */
  listDelayMs: z.number().int().min(0).max(60_000).default(0),
  /** Secret (stored as a credential): must match the source's required token when it has one. */
  token: secret(z.string().optional()),
});
export type SampleConfig = z.infer<typeof sampleConfigSchema>;

/**
 * Cursor of one source epoch (invalidating cursors bumps it): walking a snapshot (offset into the
 * sorted ids, taken at journal seq snapshotSeq) or following the journal (seq).
 */
export const sampleMilestoneSchema = z.union([
  z.object({
    epoch: z.number(),
    seq: z.number().optional(),
    snapshotOffset: z.number().int().min(0).optional(),
    snapshotSeq: z.number().optional(),
  }),
  z.strictObject({}), // first sync
  unreadableMilestone,
]);
type SampleMilestone = z.output<typeof sampleMilestoneSchema>;
/** Snapshot start = journal seq, snapshot page = offset, feed position = journal seq. */
type SamplePosition = TwoPhasePosition<number, number, number>;

export class SampleConnector implements Connector<SampleConfig, SampleMilestone> {
  readonly name = 'sample';
  readonly configSchema = sampleConfigSchema;
  readonly milestoneSchema = sampleMilestoneSchema;

  async ping(ctx: ConnectorContext<SampleConfig>): Promise<void> {
    await new SampleSource(ctx.config.sourceDir).read();
  }

  async retrieveMetadata(ctx: ConnectorContext<SampleConfig>, milestone: SampleMilestone): Promise<MetadataPage> {
    const source = new SampleSource(ctx.config.sourceDir);
    const state = await source.read();
    await this.checkAccess(source, state, { op: 'retrieveMetadata', milestone }, ctx.config.token);
    await source.logCall({ op: 'retrieveMetadata', milestone, outcome: 'ok' });
    if (ctx.config.listDelayMs) await new Promise((r) => setTimeout(r, ctx.config.listDelayMs));

    const { next, ...page } = await listTwoPhase(journalSource(state, ctx.config.pageSize), positionOf(milestone, state));
    return { ...page, milestone: milestoneOf(next, state.epoch) };
  }

  async retrieveData(ctx: ConnectorContext<SampleConfig>, doc: DocMetadata): Promise<DataResult> {
    const source = new SampleSource(ctx.config.sourceDir);
    const state = await source.read();
    await this.checkAccess(source, state, { op: 'retrieveData', id: doc.externalId }, ctx.config.token);
    const failure = state.failures[doc.externalId];
    if (failure) {
      await source.logCall({ op: 'retrieveData', id: doc.externalId, outcome: 'failed' });
      throw new Error(failure);
    }
    const found = state.docs[doc.externalId];
    if (!found) {
      await source.logCall({ op: 'retrieveData', id: doc.externalId, outcome: 'not-found' });
      throw new NotFoundError(`sample document "${doc.externalId}" no longer exists`, {
        connector: this.name,
        externalId: doc.externalId,
      });
    }
    await source.logCall({ op: 'retrieveData', id: doc.externalId, outcome: 'ok' });
    const body = Buffer.from(found.content, 'utf8');
    return { body, mimeType: found.mimeType, size: body.length };
  }

  private async checkAccess(
    source: SampleSource,
    state: SampleState,
    call: { op: 'retrieveMetadata' | 'retrieveData'; milestone?: unknown; id?: string },
    token: string | undefined,
  ): Promise<void> {
    if (state.requiredToken && token !== state.requiredToken) {
      await source.logCall({ ...call, outcome: 'unauthorized' });
      throw new AuthError('sample source rejected the token', { connector: this.name, status: 401 });
    }
    const until =
      state.rateLimitUntil && new Date(state.rateLimitUntil).getTime() > Date.now()
        ? new Date(state.rateLimitUntil)
        : state.rateLimitNext
          ? await source.takeRateLimitedCall(call.op)
          : undefined;
    if (!until) return;
    await source.logCall({ ...call, outcome: 'rate-limited' });
    throw new RateLimitError(until, `sample source is rate limited until ${until.toISOString()}`, {
      connector: this.name,
    });
  }
}

function positionOf(m: SampleMilestone, state: SampleState): SamplePosition {
  if (!('epoch' in m) || m.epoch !== state.epoch) return { phase: 'start', reset: 'epoch' in m || 'unreadable' in m };
  if (m.snapshotOffset !== undefined) return { phase: 'snapshot', start: m.snapshotSeq ?? headSeq(state), page: m.snapshotOffset };
  return { phase: 'changes', at: m.seq ?? 0 };
}

function milestoneOf(next: SamplePosition, epoch: number): Milestone {
  if (next.phase === 'snapshot') return { epoch, snapshotOffset: next.page ?? 0, snapshotSeq: next.start };
  if (next.phase === 'changes') return { epoch, seq: next.at };
  return {};
}

function headSeq(state: SampleState): number {
  return state.journal.at(-1)?.seq ?? 0;
}

function journalSource(state: SampleState, pageSize: number): TwoPhaseSource<number, number, number> {
  return {
    startToken: async () => headSeq(state),
    async snapshotPage(_start, offset = 0) {
      const ids = Object.keys(state.docs).sort();
      const slice = ids.slice(offset, offset + pageSize);
      const next = offset + slice.length;
      return { upserts: slice.map((id) => toMetadata(id, state)), next: next < ids.length ? next : undefined };
    },
    feedAfterSnapshot: (snapshotSeq) => ({ at: snapshotSeq, hasMore: headSeq(state) > snapshotSeq }),
    async changesPage(fromSeq) {
      const entries = state.journal.filter((e) => e.seq > fromSeq).slice(0, pageSize);
      const upserts = new Map<string, DocMetadata>();
      const deletes = new Set<string>();
      for (const entry of entries) {
        if (entry.op === 'upsert' && state.docs[entry.id]) {
          deletes.delete(entry.id);
          upserts.set(entry.id, toMetadata(entry.id, state));
        } else if (entry.op === 'delete' && !state.docs[entry.id]) {
          upserts.delete(entry.id);
          deletes.add(entry.id);
        }
      }
      const lastSeq = entries.at(-1)?.seq ?? fromSeq;
      return { upserts: [...upserts.values()], deletes: [...deletes], next: lastSeq, hasMore: lastSeq < headSeq(state) };
    },
  };
}

function toMetadata(id: string, state: SampleState): DocMetadata {
  const doc = state.docs[id];
  return {
    externalId: id,
    title: doc.title,
    path: `/${id}`,
    mimeType: doc.mimeType,
    size: Buffer.byteLength(doc.content, 'utf8'),
    modifiedAt: doc.modifiedAt,
    version: String(doc.version),
  };
}
