// Gmail metadata paging on the two-phase lister: users.getProfile for the start historyId, then
// messages.list pages, then history.list from that historyId, one request per call. A 404
// (history too old) restarts the full listing with `reset: true`.
import { z } from 'zod';
import type { gmail_v1 } from '@googleapis/gmail';
import type { ConnectorContext, MetadataPage, Milestone } from '../../core/contract.js';
import { googleMilestoneFields, type GoogleApi } from '../google/api.js';
import { listingSchedule, withoutStreak } from '../google/rate-limit.js';
import { cursorToken, unreadableMilestone } from '../shared/milestone-schema.js';
import { listTwoPhase, splitOutcome, type TwoPhasePosition, type TwoPhaseSource } from '../shared/two-phase-lister.js';
import { inScope, type GmailConfig } from './config.js';
import { describeMessages } from './metadata.js';

export { MESSAGE_MIME, MESSAGE_VERSION } from './metadata.js';

const pageToken = cursorToken.optional().catch(undefined);
export const gmailMilestoneSchema = z.union([
  z.object({ phase: z.literal('list'), startHistoryId: cursorToken, pageToken, ...googleMilestoneFields }),
  z.object({ phase: z.literal('history'), historyId: cursorToken, pageToken, ...googleMilestoneFields }),
  z.strictObject(googleMilestoneFields), // first sync
  unreadableMilestone,
]);
export type GmailMilestone = z.output<typeof gmailMilestoneSchema>;

/** Start historyId, messages.list page token, history.list position. */
type HistoryAt = { historyId: string; pageToken?: string };
type GmailPosition = TwoPhasePosition<string, string, HistoryAt>;

const HISTORY_TYPES = ['messageAdded', 'messageDeleted', 'labelAdded', 'labelRemoved'];

export async function listGmail(
  ctx: ConnectorContext<GmailConfig>,
  api: GoogleApi<gmail_v1.Gmail>,
  milestone: GmailMilestone,
): Promise<MetadataPage> {
  const { next, ...page } = await listTwoPhase(gmailSource(ctx, api), positionOf(milestone));
  return { ...page, milestone: milestoneOf(next) };
}

function positionOf(m: GmailMilestone): GmailPosition {
  if ('phase' in m && m.phase === 'list') return { phase: 'snapshot', start: m.startHistoryId, page: m.pageToken };
  if ('phase' in m && m.phase === 'history') return { phase: 'changes', at: { historyId: m.historyId, pageToken: m.pageToken } };
  return { phase: 'start', reset: Object.keys(withoutStreak(m)).length > 0 };
}

function milestoneOf(next: GmailPosition): Milestone {
  const token = (t: string | undefined): Milestone => (t ? { pageToken: t } : {});
  if (next.phase === 'snapshot') return { phase: 'list', startHistoryId: next.start, ...token(next.page) };
  if (next.phase === 'changes') return { phase: 'history', historyId: next.at.historyId, ...token(next.at.pageToken) };
  return {};
}

function gmailSource(ctx: ConnectorContext<GmailConfig>, api: GoogleApi<gmail_v1.Gmail>): TwoPhaseSource<string, string, HistoryAt> {
  const { client: gmail, session, call } = api;
  const { pageSize, q, labelIds, includeSpamTrash } = ctx.config;
  // Exponential in the listing refusals the workflow counted in a row.
  const schedule = listingSchedule(ctx);
  return {
    async startToken() {
      const res = await session.run('users.getProfile', () => gmail.users.getProfile({ userId: 'me' }, call), { schedule });
      if (!res.data.historyId) throw new Error('gmail: users.getProfile returned no historyId');
      return res.data.historyId;
    },
    async snapshotPage(_start, pageToken) {
      const res = await session.run(
        'users.messages.list',
        () => gmail.users.messages.list({ userId: 'me', maxResults: pageSize, pageToken, q, labelIds, includeSpamTrash }, call),
        { schedule },
      );
      // messages.list returns ids only: one metadata read per message makes the row an e-mail.
      const upserts = await describeMessages(
        api,
        (res.data.messages ?? []).filter((m) => m.id),
        schedule,
      );
      return { upserts, next: res.data.nextPageToken ?? undefined };
    },
    feedAfterSnapshot: (start) => ({ at: { historyId: start }, hasMore: false }),
    async changesPage({ historyId, pageToken }) {
      const res = await session.run(
        'users.history.list',
        () =>
          gmail.users.history.list(
            { userId: 'me', startHistoryId: historyId, pageToken, maxResults: pageSize, historyTypes: HISTORY_TYPES },
            call,
          ),
        { schedule, isExpiredCursor: (f) => f.status === 404 },
      );
      const next = res.data.nextPageToken ?? undefined;
      // Within a query, pages keep its startHistoryId; once done, the feed goes on from the latest.
      const at = next ? { historyId, pageToken: next } : { historyId: res.data.historyId ?? historyId };
      const outcome = applyHistory(ctx.config, res.data.history ?? []);
      const added = [...outcome.values()].filter((m): m is gmail_v1.Schema$Message => m !== null);
      const described = new Map((await describeMessages(api, added, schedule)).map((d) => [d.externalId, d]));
      const docs = new Map([...outcome].map(([id, m]) => [id, m && (described.get(id) ?? null)]));
      return { ...splitOutcome(docs), next: at, hasMore: !!next };
    },
    onExpired() {
      ctx.logger.warn({ connector: 'gmail', userId: ctx.userId }, 'startHistoryId expired; restarting the full listing');
    },
  };
}

/** Replays history records in order; per message the last transition wins (null = delete). */
function applyHistory(config: GmailConfig, records: gmail_v1.Schema$History[]): Map<string, gmail_v1.Schema$Message | null> {
  const outcome = new Map<string, gmail_v1.Schema$Message | null>();
  const upsert = (m: gmail_v1.Schema$Message | undefined) => {
    if (m?.id) outcome.set(m.id, m);
  };
  for (const record of records) {
    for (const added of record.messagesAdded ?? []) {
      if (inScope(config, added.message?.labelIds ?? [])) upsert(added.message);
    }
    for (const deleted of record.messagesDeleted ?? []) {
      if (deleted.message?.id) outcome.set(deleted.message.id, null);
    }
    // Label events carry the labels after the change: derive "before" to see moves in or out.
    const moves = [
      ...(record.labelsAdded ?? []).map((e) => ({ e, before: (e.message?.labelIds ?? []).filter((l) => !e.labelIds?.includes(l)) })),
      ...(record.labelsRemoved ?? []).map((e) => ({ e, before: [...(e.message?.labelIds ?? []), ...(e.labelIds ?? [])] })),
    ];
    for (const { e, before } of moves) {
      const wasIn = inScope(config, before);
      const isIn = inScope(config, e.message?.labelIds ?? []);
      // In scope after the change: re-read, so `extra.labels` follows the mailbox (a metadata change).
      if (isIn) upsert(e.message);
      else if (wasIn && e.message?.id) outcome.set(e.message.id, null);
    }
  }
  return outcome;
}
