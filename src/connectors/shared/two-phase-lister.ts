// The domain's main listing idiom, written once: take a start token from the change feed, walk a
// snapshot of everything (paged), then follow the change feed from the token taken *before* the
// snapshot, so nothing that changed during the snapshot is missed. Connectors supply the calls
// and keep their own milestone shapes; a cursor the source no longer knows starts over (reset).
import type { DocMetadata, MetadataPage } from '../../core/contract.js';

/** The source no longer knows the cursor (Drive page token, Gmail startHistoryId): list again. */
export class ExpiredCursorError extends Error {
  constructor(
    readonly operation: string,
    readonly status?: number,
  ) {
    super(`${operation}: the cursor expired (HTTP ${status ?? '?'})`);
    this.name = 'ExpiredCursorError';
  }
}

/** Where a two-phase listing stands; connectors map it to and from their milestone shape. */
export type TwoPhasePosition<Start, Page, Feed> =
  /** No usable cursor: take a start token; `reset` when a cursor was given but is unusable. */
  | { phase: 'start'; reset: boolean }
  /** Walking the snapshot that began at `start`; `page` undefined for its first page. */
  | { phase: 'snapshot'; start: Start; page?: Page }
  /** Following the change feed. */
  | { phase: 'changes'; at: Feed };

export interface TwoPhaseSource<Start, Page, Feed> {
  /** The change feed's position now. */
  startToken(): Promise<Start>;
  /** One snapshot page; no `next` when the snapshot is complete. May throw ExpiredCursorError. */
  snapshotPage(start: Start, page: Page | undefined): Promise<{ upserts: DocMetadata[]; next?: Page }>;
  /** Where the feed continues once the snapshot taken at `start` is complete, and whether it has changes waiting. */
  feedAfterSnapshot(start: Start): { at: Feed; hasMore: boolean };
  /** One page of changes. May throw ExpiredCursorError. */
  changesPage(at: Feed): Promise<{ upserts: DocMetadata[]; deletes: string[]; next: Feed; hasMore: boolean }>;
  /** Told before the listing starts over because the source forgot the cursor (for a log line). */
  onExpired?(phase: 'snapshot' | 'changes'): void;
}

export type TwoPhasePage<Start, Page, Feed> = Omit<MetadataPage, 'milestone'> & { next: TwoPhasePosition<Start, Page, Feed> };

/** One page from `position`: snapshot pages carry `reset` (true on the first page after a restart). */
export async function listTwoPhase<Start, Page, Feed>(
  source: TwoPhaseSource<Start, Page, Feed>,
  position: TwoPhasePosition<Start, Page, Feed>,
): Promise<TwoPhasePage<Start, Page, Feed>> {
  if (position.phase === 'start') return snapshot(source, await source.startToken(), undefined, position.reset);
  if (position.phase === 'snapshot')
    return restartIfExpired(source, 'snapshot', () => snapshot(source, position.start, position.page, false));
  return restartIfExpired(source, 'changes', async () => {
    const { next, ...page } = await source.changesPage(position.at);
    return { ...page, next: { phase: 'changes', at: next } };
  });
}

async function snapshot<Start, Page, Feed>(
  source: TwoPhaseSource<Start, Page, Feed>,
  start: Start,
  page: Page | undefined,
  reset: boolean,
): Promise<TwoPhasePage<Start, Page, Feed>> {
  const { upserts, next } = await source.snapshotPage(start, page);
  if (next !== undefined) return { upserts, deletes: [], hasMore: true, reset, next: { phase: 'snapshot', start, page: next } };
  const feed = source.feedAfterSnapshot(start);
  return { upserts, deletes: [], hasMore: feed.hasMore, reset, next: { phase: 'changes', at: feed.at } };
}

async function restartIfExpired<Start, Page, Feed>(
  source: TwoPhaseSource<Start, Page, Feed>,
  phase: 'snapshot' | 'changes',
  list: () => Promise<TwoPhasePage<Start, Page, Feed>>,
): Promise<TwoPhasePage<Start, Page, Feed>> {
  try {
    return await list();
  } catch (err) {
    if (!(err instanceof ExpiredCursorError)) throw err;
    source.onExpired?.(phase);
    return listTwoPhase(source, { phase: 'start', reset: true });
  }
}

/** Per document the last outcome of a change page: metadata to upsert, or null for a deletion. */
export function splitOutcome(outcome: Map<string, DocMetadata | null>): { upserts: DocMetadata[]; deletes: string[] } {
  const upserts = [...outcome.values()].filter((d): d is DocMetadata => d !== null);
  const deletes = [...outcome].filter(([, d]) => d === null).map(([id]) => id);
  return { upserts, deletes };
}
