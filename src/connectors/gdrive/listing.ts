// Drive metadata paging. First sync: changes.getStartPageToken, then files.list pages; after
// that changes.list from the stored token, one request per call (an unchanged drive costs one
// changes.list). An expired change token restarts the full listing with `reset: true`.
import type { drive_v3 } from '@googleapis/drive';
import type { ConnectorContext, DocMetadata, MetadataPage, Milestone } from '../../core/contract.js';
import type { GoogleSession } from '../google/auth.js';
import type { GoogleFailure } from '../google/errors.js';
import { ExpiredCursorError } from '../google/errors.js';
import { callOptions } from '../google/api.js';
import { listingSchedule, withoutStreak } from '../google/rate-limit.js';
import type { GdriveConfig } from './config.js';
import { FILE_FIELDS, FOLDER_MIME, toDocMetadata } from './files.js';

export type DriveMilestone =
  | { phase: 'list'; startPageToken: string; pageToken?: string }
  | { phase: 'changes'; pageToken: string };

const LIST_Q = `trashed = false and mimeType != '${FOLDER_MIME}'`;

export class DriveLister {
  constructor(
    private readonly ctx: ConnectorContext<GdriveConfig>,
    private readonly drive: drive_v3.Drive,
    private readonly session: GoogleSession,
    private readonly given: Milestone,
  ) {}

  async page(): Promise<MetadataPage> {
    const m = parseMilestone(this.given);
    if (m?.phase === 'changes') return this.changesPage(m.pageToken);
    if (m?.phase === 'list') return this.listPage(m.startPageToken, m.pageToken, false);
    // No (or an unreadable) cursor: a fresh enumeration; a cursor we cannot read means a resync.
    return this.restart(Object.keys(withoutStreak(this.given)).length > 0);
  }

  private async restart(reset: boolean): Promise<MetadataPage> {
    const res = await this.session.run(
      'changes.getStartPageToken',
      () => this.drive.changes.getStartPageToken({ supportsAllDrives: this.sharedDrives }, this.callOpts),
      { schedule: listingSchedule(this.ctx) },
    );
    const start = res.data.startPageToken;
    if (!start) throw new Error('gdrive: changes.getStartPageToken returned no token');
    return this.listPage(start, undefined, reset);
  }

  private async listPage(startPageToken: string, pageToken: string | undefined, reset: boolean): Promise<MetadataPage> {
    let res;
    try {
      res = await this.session.run(
        'files.list',
        () =>
          this.drive.files.list(
            {
              q: LIST_Q,
              pageSize: this.ctx.config.pageSize,
              pageToken,
              fields: `nextPageToken,files(${FILE_FIELDS})`,
              spaces: 'drive',
              ...(this.sharedDrives ? { corpora: 'allDrives', includeItemsFromAllDrives: true, supportsAllDrives: true } : {}),
            },
            this.callOpts,
          ),
        { schedule: listingSchedule(this.ctx), isExpiredCursor: pageToken ? isExpiredPageToken : undefined },
      );
    } catch (err) {
      if (err instanceof ExpiredCursorError) return this.restart(true);
      throw err;
    }
    const upserts = (res.data.files ?? []).filter((f) => f.id && f.mimeType !== FOLDER_MIME).map(toDocMetadata);
    const next = res.data.nextPageToken;
    return {
      upserts,
      deletes: [],
      milestone: next ? { phase: 'list', startPageToken, pageToken: next } : { phase: 'changes', pageToken: startPageToken },
      hasMore: !!next,
      reset,
    };
  }

  private async changesPage(pageToken: string): Promise<MetadataPage> {
    let res;
    try {
      res = await this.session.run(
        'changes.list',
        () =>
          this.drive.changes.list(
            {
              pageToken,
              pageSize: this.ctx.config.pageSize,
              includeRemoved: true,
              spaces: 'drive',
              fields: `nextPageToken,newStartPageToken,changes(changeType,removed,fileId,file(${FILE_FIELDS}))`,
              ...(this.sharedDrives ? { includeItemsFromAllDrives: true, supportsAllDrives: true } : {}),
            },
            this.callOpts,
          ),
        { schedule: listingSchedule(this.ctx), isExpiredCursor: isExpiredPageToken },
      );
    } catch (err) {
      if (err instanceof ExpiredCursorError) {
        this.ctx.logger.warn({ connector: 'gdrive', userId: this.ctx.userId }, 'change token expired; restarting the full listing');
        return this.restart(true);
      }
      throw err;
    }
    // Last change per file wins within a page.
    const outcome = new Map<string, DocMetadata | null>();
    for (const change of res.data.changes ?? []) {
      if (change.changeType === 'drive' || !change.fileId) continue;
      const file = change.file;
      if (change.removed || !file || file.trashed) outcome.set(change.fileId, null);
      else if (file.mimeType !== FOLDER_MIME) outcome.set(change.fileId, toDocMetadata(file));
    }
    const upserts = [...outcome.values()].filter((d): d is DocMetadata => d !== null);
    const deletes = [...outcome].filter(([, d]) => d === null).map(([id]) => id);
    const next = res.data.nextPageToken ?? res.data.newStartPageToken;
    if (!next) throw new Error('gdrive: changes.list returned neither nextPageToken nor newStartPageToken');
    return { upserts, deletes, milestone: { phase: 'changes', pageToken: next }, hasMore: !!res.data.nextPageToken };
  }

  private get sharedDrives(): boolean {
    return this.ctx.config.includeSharedDrives;
  }

  private get callOpts() {
    return callOptions(this.ctx, this.ctx.config.requestTimeoutMs);
  }
}

/** Drive answers an expired or unknown page token with 404, or 400 "Invalid Value" on pageToken. */
export function isExpiredPageToken(f: GoogleFailure): boolean {
  if (f.status === 404) return true;
  return f.status === 400 && (f.location === 'pageToken' || /page ?token/i.test(f.message ?? ''));
}

function parseMilestone(m: Milestone): DriveMilestone | undefined {
  if (m.phase === 'changes' && typeof m.pageToken === 'string' && m.pageToken) return { phase: 'changes', pageToken: m.pageToken };
  if (m.phase === 'list' && typeof m.startPageToken === 'string' && m.startPageToken) {
    return { phase: 'list', startPageToken: m.startPageToken, pageToken: typeof m.pageToken === 'string' ? m.pageToken : undefined };
  }
  return undefined;
}
