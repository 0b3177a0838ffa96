// Gmail metadata paging on the two-phase lister: users.getProfile for the start historyId, then
// messages.list pages, then history.list from that historyId, one request per call. A 404
// (history too old) restarts the full listing with `reset: true`.
import { z } from 'zod';
import type { gmail_v1 } from '@googleapis/gmail';
import type { ConnectorContext, DocMetadata, MetadataPage, Milestone } from '../../core/contract.js';
import { googleMilestoneFields, type GoogleApi } from '../google/api.js';
import { listingSchedule, withoutStreak } from '../google/rate-limit.js';
import { cursorToken, unreadableMilestone } from '../shared/milestone-schema.js';
import { listTwoPhase, splitOutcome, type TwoPhasePosition, type TwoPhaseSource } from '../shared/two-phase-lister.js';
import { inScope, type GmailConfig } from './config.js';

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

export const MESSAGE_MIME = 'message/rfc822';
const HISTORY_TYPES = ['messageAdded', 'messageDeleted', 'labelAdded', 'labelRemoved'];

/**
 * A message's raw content never changes, so its version is constant: a re-listing after a
 * history reset, or a label move back into scope, never downloads a message again. (Versions
 * from historyIds would differ per listing and re-download the whole mailbox after a reset.)
 */
export const MESSAGE_VERSION = 'raw-1';

function messageDoc(id: string, threadId?: string | null): DocMetadata {
  return { externalId: id, title: id, mimeType: MESSAGE_MIME, version: MESSAGE_VERSION, extra: threadId ? { threadId } : {} };
}

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

function gmailSource(
  ctx: ConnectorContext<GmailConfig>,
  { client: gmail, session, call }: GoogleApi<gmail_v1.Gmail>,
): TwoPhaseSource<string, string, HistoryAt> {
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
      const upserts = (res.data.messages ?? []).filter((m) => m.id).map((m) => messageDoc(m.id!, m.threadId));
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
      return { ...splitOutcome(applyHistory(ctx.config, res.data.history ?? [])), next: at, hasMore: !!next };
    },
    onExpired() {
      ctx.logger.warn({ connector: 'gmail', userId: ctx.userId }, 'startHistoryId expired; restarting the full listing');
    },
  };
}

/** Replays history records in order; per message the last transition wins (null = delete). */
function applyHistory(config: GmailConfig, records: gmail_v1.Schema$History[]): Map<string, DocMetadata | null> {
  const outcome = new Map<string, DocMetadata | null>();
  const upsert = (m: gmail_v1.Schema$Message | undefined) => {
    if (m?.id) outcome.set(m.id, messageDoc(m.id, m.threadId));
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
      if (!wasIn && isIn) upsert(e.message);
      else if (wasIn && !isIn && e.message?.id) outcome.set(e.message.id, null);
    }
  }
  return outcome;
}
