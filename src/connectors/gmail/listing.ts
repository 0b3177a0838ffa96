// Gmail metadata paging. First sync: users.getProfile for the start historyId, then
// messages.list pages; after that history.list from the stored historyId, one request per call.
// A 404 (history too old) restarts the full listing with `reset: true`.
import type { gmail_v1 } from '@googleapis/gmail';
import type { ConnectorContext, DocMetadata, MetadataPage, Milestone } from '../../core/contract.js';
import type { GoogleSession } from '../google/auth.js';
import { ExpiredCursorError } from '../google/errors.js';
import { callOptions } from '../google/api.js';
import { listingSchedule, withoutStreak } from '../google/rate-limit.js';
import { inScope, type GmailConfig } from './config.js';

export type GmailMilestone =
  | { phase: 'list'; startHistoryId: string; pageToken?: string }
  | { phase: 'history'; historyId: string; pageToken?: string };

export const MESSAGE_MIME = 'message/rfc822';
const HISTORY_TYPES = ['messageAdded', 'messageDeleted', 'labelAdded', 'labelRemoved'];

/**
 * A message's raw content never changes, so its version is constant: a re-listing after a
 * history reset, or a label move back into scope, never downloads a message again. (Versions
 * from historyIds would differ per listing and re-download the whole mailbox after a reset.)
 */
export const MESSAGE_VERSION = 'raw-1';

function messageDoc(id: string, _seenAt: string, threadId?: string | null): DocMetadata {
  return { externalId: id, title: id, mimeType: MESSAGE_MIME, version: MESSAGE_VERSION, extra: threadId ? { threadId } : {} };
}

export class GmailLister {
  constructor(
    private readonly ctx: ConnectorContext<GmailConfig>,
    private readonly gmail: gmail_v1.Gmail,
    private readonly session: GoogleSession,
    private readonly given: Milestone,
  ) {}

  async page(): Promise<MetadataPage> {
    const m = parseMilestone(this.given);
    if (m?.phase === 'history') return this.historyPage(m.historyId, m.pageToken);
    if (m?.phase === 'list') return this.listPage(m.startHistoryId, m.pageToken, false);
    return this.restart(Object.keys(withoutStreak(this.given)).length > 0);
  }

  private async restart(reset: boolean): Promise<MetadataPage> {
    const res = await this.session.run('users.getProfile', () => this.gmail.users.getProfile({ userId: 'me' }, this.callOpts), {
      schedule: listingSchedule(this.ctx),
    });
    const start = res.data.historyId;
    if (!start) throw new Error('gmail: users.getProfile returned no historyId');
    return this.listPage(start, undefined, reset);
  }

  private async listPage(startHistoryId: string, pageToken: string | undefined, reset: boolean): Promise<MetadataPage> {
    const { pageSize, q, labelIds, includeSpamTrash } = this.ctx.config;
    const res = await this.session.run(
      'users.messages.list',
      () =>
        this.gmail.users.messages.list(
          { userId: 'me', maxResults: pageSize, pageToken, q, labelIds, includeSpamTrash },
          this.callOpts,
        ),
      { schedule: listingSchedule(this.ctx) },
    );
    const upserts = (res.data.messages ?? []).filter((m) => m.id).map((m) => messageDoc(m.id!, startHistoryId, m.threadId));
    const next = res.data.nextPageToken;
    return {
      upserts,
      deletes: [],
      milestone: next ? { phase: 'list', startHistoryId, pageToken: next } : { phase: 'history', historyId: startHistoryId },
      hasMore: !!next,
      reset,
    };
  }

  private async historyPage(historyId: string, pageToken: string | undefined): Promise<MetadataPage> {
    let res;
    try {
      res = await this.session.run(
        'users.history.list',
        () =>
          this.gmail.users.history.list(
            { userId: 'me', startHistoryId: historyId, pageToken, maxResults: this.ctx.config.pageSize, historyTypes: HISTORY_TYPES },
            this.callOpts,
          ),
        { schedule: listingSchedule(this.ctx), isExpiredCursor: (f) => f.status === 404 },
      );
    } catch (err) {
      if (!(err instanceof ExpiredCursorError)) throw err;
      this.ctx.logger.warn({ connector: 'gmail', userId: this.ctx.userId }, 'startHistoryId expired; restarting the full listing');
      return this.restart(true);
    }
    const outcome = this.applyHistory(res.data.history ?? []);
    const upserts = [...outcome.values()].filter((d): d is DocMetadata => d !== null);
    const deletes = [...outcome].filter(([, d]) => d === null).map(([id]) => id);
    const next = res.data.nextPageToken;
    const latest = res.data.historyId ?? historyId;
    return {
      upserts,
      deletes,
      milestone: next ? { phase: 'history', historyId, pageToken: next } : { phase: 'history', historyId: latest },
      hasMore: !!next,
    };
  }

  /** Replays history records in order; per message the last transition wins (null = delete). */
  private applyHistory(records: gmail_v1.Schema$History[]): Map<string, DocMetadata | null> {
    const config = this.ctx.config;
    const outcome = new Map<string, DocMetadata | null>();
    const upsert = (m: gmail_v1.Schema$Message | undefined, version: string) => {
      if (m?.id) outcome.set(m.id, messageDoc(m.id, version, m.threadId));
    };
    for (const record of records) {
      const version = record.id ?? '0';
      for (const added of record.messagesAdded ?? []) {
        if (inScope(config, added.message?.labelIds ?? [])) upsert(added.message, version);
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
        if (!wasIn && isIn) upsert(e.message, version);
        else if (wasIn && !isIn && e.message?.id) outcome.set(e.message.id, null);
      }
    }
    return outcome;
  }

  private get callOpts() {
    return callOptions(this.ctx, this.ctx.config.requestTimeoutMs);
  }
}

function parseMilestone(m: Milestone): GmailMilestone | undefined {
  const pageToken = typeof m.pageToken === 'string' && m.pageToken ? m.pageToken : undefined;
  if (m.phase === 'history' && typeof m.historyId === 'string' && m.historyId) return { phase: 'history', historyId: m.historyId, pageToken };
  if (m.phase === 'list' && typeof m.startHistoryId === 'string' && m.startHistoryId) {
    return { phase: 'list', startHistoryId: m.startHistoryId, pageToken };
  }
  return undefined;
}
