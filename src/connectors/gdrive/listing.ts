// Drive metadata paging on the two-phase lister: changes.getStartPageToken, then files.list pages,
// then changes.list from the start token, one request per call (an unchanged drive costs one
// changes.list). An expired token restarts the full listing with `reset: true`.
import { z } from 'zod';
import type { drive_v3 } from '@googleapis/drive';
import type { ConnectorContext, DocMetadata, MetadataPage, Milestone } from '../../core/contract.js';
import { googleMilestoneFields, type GoogleApi } from '../google/api.js';
import type { GoogleFailure } from '../google/failure.js';
import { listingSchedule, withoutStreak } from '../google/rate-limit.js';
import { cursorToken, unreadableMilestone } from '../shared/milestone-schema.js';
import { listTwoPhase, splitOutcome, type TwoPhasePosition, type TwoPhaseSource } from '../shared/two-phase-lister.js';
import type { GdriveConfig } from './config.js';
import { FILE_FIELDS, FOLDER_MIME, toDocMetadata } from './files.js';
import { FolderPaths } from './folders.js';
import { allDrivesListParams, listSubtrees } from './subtree.js';
import { createPathFilter } from '../shared/glob.js';

export const driveMilestoneSchema = z.union([
  z.object({
    phase: z.literal('list'),
    startPageToken: cursorToken,
    pageToken: z.string().optional().catch(undefined),
    ...googleMilestoneFields,
  }),
  z.object({ phase: z.literal('changes'), pageToken: cursorToken, ...googleMilestoneFields }),
  z.strictObject(googleMilestoneFields), // first sync
  unreadableMilestone,
]);
export type DriveMilestone = z.output<typeof driveMilestoneSchema>;

/** Start token, files.list page token, change token: all Drive page tokens. */
type DrivePosition = TwoPhasePosition<string, string, string>;

// Folders are listed too: they feed the path cache (folders.ts) at no extra request.
const LIST_Q = 'trashed = false';

export async function listDrive(
  ctx: ConnectorContext<GdriveConfig>,
  api: GoogleApi<drive_v3.Drive>,
  milestone: DriveMilestone,
): Promise<MetadataPage> {
  const { next, ...page } = await listTwoPhase(driveSource(ctx, api), positionOf(milestone));
  return { ...page, milestone: milestoneOf(next) };
}

function milestoneOf(next: DrivePosition): Milestone {
  if (next.phase === 'snapshot') return { phase: 'list', startPageToken: next.start, ...(next.page ? { pageToken: next.page } : {}) };
  if (next.phase === 'changes') return { phase: 'changes', pageToken: next.at };
  return {};
}

function positionOf(m: DriveMilestone): DrivePosition {
  if ('phase' in m && m.phase === 'list') return { phase: 'snapshot', start: m.startPageToken, page: m.pageToken };
  if ('phase' in m && m.phase === 'changes') return { phase: 'changes', at: m.pageToken };
  return { phase: 'start', reset: Object.keys(withoutStreak(m)).length > 0 };
}

function driveSource(ctx: ConnectorContext<GdriveConfig>, api: GoogleApi<drive_v3.Drive>): TwoPhaseSource<string, string, string> {
  const { client: drive, session, call } = api;
  const { pageSize, includeSharedDrives, includeSharedWithMe } = ctx.config;
  // Exponential in the listing refusals the workflow counted in a row.
  const schedule = listingSchedule(ctx);
  const folders = new FolderPaths(ctx.userId, ctx.config, api, schedule);
  const wanted = createPathFilter(ctx.config.include, ctx.config.exclude);
  /** A listed file as a document, or null when its location is out of scope (a move out deletes it). */
  const describe = async (file: drive_v3.Schema$File): Promise<DocMetadata | null> => {
    const location = await folders.locate(file);
    if (location.sharedWithMe && !includeSharedWithMe) return null;
    return wanted(location.path) ? toDocMetadata(file, location) : null;
  };
  /** Folders first, so files later in the same page find their folder in the cache; returns the ids of those renamed or moved. */
  const rememberFolders = (files: drive_v3.Schema$File[]) => files.filter((f) => folders.remember(f)).map((f) => f.id!);
  return {
    async startToken() {
      const res = await session.run(
        'changes.getStartPageToken',
        () => drive.changes.getStartPageToken({ supportsAllDrives: includeSharedDrives }, call),
        { schedule },
      );
      if (!res.data.startPageToken) throw new Error('gdrive: changes.getStartPageToken returned no token');
      return res.data.startPageToken;
    },
    async snapshotPage(_start, pageToken) {
      const sharedDrives = allDrivesListParams(includeSharedDrives);
      const fields = `nextPageToken,files(${FILE_FIELDS})`;
      const res = await session.run(
        'files.list',
        () => drive.files.list({ q: LIST_Q, pageSize, pageToken, fields, spaces: 'drive', ...sharedDrives }, call),
        { schedule, isExpiredCursor: pageToken ? isExpiredPageToken : undefined },
      );
      const files = res.data.files ?? [];
      rememberFolders(files);
      const docs = await Promise.all(files.filter((f) => f.id && f.mimeType !== FOLDER_MIME).map(describe));
      const upserts = docs.filter((d): d is DocMetadata => d !== null);
      return { upserts, next: res.data.nextPageToken ?? undefined };
    },
    feedAfterSnapshot: (start) => ({ at: start, hasMore: false }),
    async changesPage(pageToken) {
      const sharedDrives = includeSharedDrives ? { includeItemsFromAllDrives: true, supportsAllDrives: true } : {};
      const fields = `nextPageToken,newStartPageToken,changes(changeType,removed,fileId,file(${FILE_FIELDS}))`;
      const res = await session.run(
        'changes.list',
        () => drive.changes.list({ pageToken, pageSize, includeRemoved: true, spaces: 'drive', fields, ...sharedDrives }, call),
        { schedule, isExpiredCursor: isExpiredPageToken },
      );
      // Last change per file wins within a page (null = removed).
      const outcome = new Map<string, DocMetadata | null>();
      const changes = (res.data.changes ?? []).filter((c) => c.changeType !== 'drive' && c.fileId);
      const movedFolders = rememberFolders(changes.flatMap((c) => (c.file && !c.removed ? [c.file] : [])));
      for (const change of changes) {
        const file = change.file;
        if (change.removed || !file || file.trashed) {
          folders.forget(change.fileId!);
          outcome.set(change.fileId!, null);
        } else if (file.mimeType !== FOLDER_MIME) outcome.set(change.fileId!, await describe(file));
      }
      // Files under a renamed or moved folder get their new path now (Drive reports the folder alone);
      // a file's own change in this page already says the same or newer.
      for (const file of await listSubtrees(api, ctx.config, movedFolders, folders, schedule)) {
        if (file.mimeType !== FOLDER_MIME && !outcome.has(file.id!)) outcome.set(file.id!, await describe(file));
      }
      const next = res.data.nextPageToken ?? res.data.newStartPageToken;
      if (!next) throw new Error('gdrive: changes.list returned neither nextPageToken nor newStartPageToken');
      return { ...splitOutcome(outcome), next, hasMore: !!res.data.nextPageToken };
    },
    onExpired(phase) {
      if (phase === 'changes')
        ctx.logger.warn({ connector: 'gdrive', userId: ctx.userId }, 'change token expired; restarting the full listing');
    },
  };
}

/** Drive answers an expired or unknown page token with 404, or 400 "Invalid Value" on pageToken. */
export function isExpiredPageToken(f: GoogleFailure): boolean {
  if (f.status === 404) return true;
  return f.status === 400 && (f.location === 'pageToken' || /page ?token/i.test(f.message ?? ''));
}
