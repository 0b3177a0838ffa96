// A generated Dropbox account for benchmarks: N files whose names, ids, revisions and bodies are
// derived from their index, so 100,000 files or a 1 GiB file cost no memory. Listing pages and
// change-feed pages are computed from the index in O(page size); bodies are generated on demand.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { BadInput, FakeDropboxAccount, type DropboxJson, type FakeEntry, type ListResult } from './account.js';

export interface CorpusOptions {
  /** Number of files. */
  count: number;
  /** Body size of every file, bytes (bodies over 1 MiB are streamed, never held). */
  fileSize: number;
  /** Files per folder (default 1000): paths look like /corpus/d0001/f0001234.txt. */
  perFolder?: number;
  /** More files after the first `count`, with their own size (e.g. 20 × 1 MiB next to 2,000 × 2 KiB). */
  extra?: { count: number; fileSize: number };
  /** Mixed into every body, so accounts of different users hold different bytes (no blob dedup across them). */
  salt?: string;
}

interface CorpusCursor {
  m: 's' | 'c'; // snapshot walk by index, or change feed by sequence
  i: number; // snapshot: next index
  s: number; // change-feed position (the sequence when the snapshot began)
  l: number;
}

const STREAM_OVER = 1024 * 1024;
const CHUNK = 64 * 1024;

export class GeneratedDropboxAccount extends FakeDropboxAccount {
  private readonly perFolder: number;
  private readonly revs = new Map<number, number>();
  private readonly changed: { seq: number; index: number }[] = [];
  private changeSeq = 0;

  constructor(private readonly corpus: CorpusOptions) {
    super();
    this.perFolder = corpus.perFolder ?? 1000;
  }

  get size(): number {
    return this.corpus.count + (this.corpus.extra?.count ?? 0);
  }

  /** A new revision of file `index` (new body, new rev, one change-feed entry). */
  touch(index: number): void {
    this.revs.set(index, (this.revs.get(index) ?? 0) + 1);
    this.changed.push({ seq: ++this.changeSeq, index });
  }

  pathOf(index: number): string {
    const folder = String(Math.floor(index / this.perFolder)).padStart(4, '0');
    return `/corpus/d${folder}/f${String(index).padStart(8, '0')}.txt`;
  }

  override lookup(pathOrId: string): FakeEntry | undefined {
    const match = /^id:gen(\d+)$/.exec(pathOrId) ?? /\/f(\d+)\.txt$/.exec(pathOrId.toLowerCase());
    const index = match ? Number(match[1]) : -1;
    return index >= 0 && index < this.size ? this.entry(index) : undefined;
  }

  override listFolder(arg: { path: string; limit?: number }): ListResult {
    if (arg.path !== '') throw new BadInput('generated corpus: list the root ("") only');
    return this.indexPage({ m: 's', i: 0, s: this.changeSeq, l: arg.limit ?? 2000 });
  }

  override listFolderContinue(cursor: string): ListResult {
    const state = decode(cursor);
    return state.m === 's' ? this.indexPage(state) : this.changeFeedPage(state);
  }

  override fileMetadata(e: FakeEntry): DropboxJson {
    return {
      '.tag': 'file',
      name: e.name,
      path_lower: e.pathLower,
      path_display: e.pathDisplay,
      id: e.id,
      client_modified: e.clientModified,
      server_modified: e.serverModified,
      rev: e.rev,
      size: e.stream?.size ?? e.content.length,
      is_downloadable: true,
      // Not Dropbox's block hash of the body (too costly for 1 GiB): any value that changes with the rev works.
      content_hash: createHash('sha256').update(`${e.id}:${e.rev}`).digest('hex'),
    };
  }

  private indexPage(state: CorpusCursor): ListResult {
    const end = Math.min(this.size, state.i + state.l);
    const entries: DropboxJson[] = [];
    for (let i = state.i; i < end; i++) entries.push(this.fileMetadata(this.entry(i)));
    const hasMore = end < this.size;
    const next: CorpusCursor = hasMore ? { ...state, i: end } : { m: 'c', i: 0, s: state.s, l: state.l };
    return { entries, cursor: encode(next), has_more: hasMore };
  }

  private changeFeedPage(state: CorpusCursor): ListResult {
    const latest = new Map<number, number>();
    for (const c of this.changed) {
      if (c.seq <= state.s) continue;
      latest.delete(c.index);
      latest.set(c.index, c.seq);
    }
    const page = [...latest.entries()].slice(0, state.l);
    const hasMore = latest.size > page.length;
    const seq = hasMore ? page.at(-1)![1] : this.changeSeq;
    return { entries: page.map(([i]) => this.fileMetadata(this.entry(i))), cursor: encode({ ...state, s: seq }), has_more: hasMore };
  }

  private entry(index: number): FakeEntry {
    const display = this.pathOf(index);
    const rev = this.revs.get(index) ?? 0;
    const salt = this.corpus.salt ? ` ${this.corpus.salt}` : '';
    const line = Buffer.from(`Document ${index}${salt} revision ${rev}: generated text for the docsync benchmark.\n`);
    const size = index < this.corpus.count ? this.corpus.fileSize : this.corpus.extra!.fileSize;
    const base = {
      tag: 'file' as const,
      id: `id:gen${index}`,
      name: display.slice(display.lastIndexOf('/') + 1),
      pathLower: display.toLowerCase(),
      pathDisplay: display,
      rev: `${String(rev).padStart(9, '0')}0`,
      serverModified: '2024-01-01T00:00:00Z',
      clientModified: '2024-01-01T00:00:00Z',
      isDownloadable: true,
    };
    if (size <= STREAM_OVER) return { ...base, content: repeat(line, size) };
    return { ...base, content: Buffer.alloc(0), stream: { size, open: () => repeatedStream(line, size) } };
  }
}

function repeat(line: Buffer, size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let at = 0; at < size; at += line.length) line.copy(out, at, 0, Math.min(line.length, size - at));
  return out;
}

/** `size` bytes of `line` repeated, produced chunk by chunk as the socket drains. */
function repeatedStream(line: Buffer, size: number): Readable {
  const chunk = repeat(line, CHUNK - (CHUNK % line.length));
  let left = size;
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      this.push(piece);
    },
  });
}

function encode(state: CorpusCursor): string {
  return `AB${Buffer.from(JSON.stringify(state)).toString('base64url')}`;
}

function decode(cursor: string): CorpusCursor {
  try {
    const state = JSON.parse(Buffer.from(cursor.slice(2), 'base64url').toString('utf8')) as CorpusCursor;
    if (!cursor.startsWith('AB') || typeof state.i !== 'number') throw new Error('shape');
    return state;
  } catch {
    throw new BadInput('request body: cursor: invalid cursor');
  }
}
