// In-memory Dropbox account for the fake server: a file tree, a change log where every
// change advances a sequence number, and list_folder cursors that encode a position in it.
// Shapes follow the Dropbox v2 API (files/list_folder, files/download, files/export).
import type { Readable } from 'node:stream';
import { createHash, randomBytes } from 'node:crypto';

export interface AddFileOptions {
  /** Dropbox id ("id:..."); generated when omitted. */
  id?: string;
  /** false: a cloud doc (Paper, Google Doc) that must go through files/export. */
  isDownloadable?: boolean;
  /** Export extension for non-downloadable files (default "docx"). */
  exportAs?: string;
  /** What files/export returns (default: the file content). */
  exportContent?: string | Buffer;
  clientModified?: string;
}

export interface FakeEntry {
  tag: 'file' | 'folder';
  id: string;
  name: string;
  pathLower: string;
  pathDisplay: string;
  content: Buffer;
  rev: string;
  serverModified: string;
  clientModified: string;
  isDownloadable: boolean;
  exportAs?: string;
  exportContent?: Buffer;
  /** Generated corpora: the body is produced on demand instead of held (`content` is then empty). */
  stream?: { size: number; open(): Readable };
}

export type DropboxJson = Record<string, unknown>;

/** Thrown by the account for API-level failures; the server renders it as a 409 envelope. */
export class ApiConflict extends Error {
  constructor(
    readonly tags: string[],
    readonly errorBody: DropboxJson,
  ) {
    super(tags.join('/'));
  }
}
/** A malformed request: rendered as a 400 with a plain-text body, like Dropbox does. */
export class BadInput extends Error {}

interface CursorState {
  e: number; // epoch: invalidateCursors() bumps it, old cursors get 409 reset
  p: string; // listed folder, lower-cased ('' = root)
  r: boolean;
  d: boolean;
  l: number;
  m: 's' | 'c'; // snapshot walk (keyed by path) or change feed (keyed by seq)
  s: number;
  a?: string; // snapshot: last path_lower returned
}

export interface ListResult {
  entries: DropboxJson[];
  cursor: string;
  has_more: boolean;
}

const CONTENT_BLOCK = 4 * 1024 * 1024;

/** Dropbox's content_hash: sha256 over the concatenated sha256 of each 4 MiB block. */
export function dropboxContentHash(content: Buffer): string {
  const blocks: Buffer[] = [];
  for (let i = 0; i < content.length; i += CONTENT_BLOCK) {
    blocks.push(
      createHash('sha256')
        .update(content.subarray(i, i + CONTENT_BLOCK))
        .digest(),
    );
  }
  return createHash('sha256').update(Buffer.concat(blocks)).digest('hex');
}

export class FakeDropboxAccount {
  private seq = 0;
  private epoch = 1;
  private readonly entries = new Map<string, FakeEntry>();
  private readonly tombstones = new Map<string, { name: string; pathDisplay: string }>();
  private readonly changes: { seq: number; pathLower: string }[] = [];
  private readonly changeListeners = new Set<() => void>();

  get sequence(): number {
    return this.seq;
  }

  /** Calls `listener` after every change (list_folder/longpoll waits on it); returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /**
   * What list_folder/longpoll answers for `cursor`: 'reset' when the cursor was invalidated, true
   * when list_folder/continue would return entries now (a snapshot still being walked counts).
   */
  changedSince(cursor: string): boolean | 'reset' {
    const state = decodeCursor(cursor);
    if (state.e !== this.epoch) return 'reset';
    if (state.m === 's') return true;
    return this.changes.some((c) => c.seq > state.s && this.inScope(state, c.pathLower, false));
  }

  addFolder(path: string): FakeEntry {
    const { lower, display, name } = splitPath(path);
    const existing = this.entries.get(lower);
    if (existing) {
      if (existing.tag !== 'folder') throw new Error(`fake dropbox: ${path} is a file`);
      return existing;
    }
    this.ensureParents(display);
    const entry: FakeEntry = {
      tag: 'folder',
      id: newId(),
      name,
      pathLower: lower,
      pathDisplay: display,
      content: Buffer.alloc(0),
      rev: '',
      serverModified: '',
      clientModified: '',
      isDownloadable: true,
    };
    this.put(entry);
    return entry;
  }

  addFile(path: string, content: string | Buffer, opts: AddFileOptions = {}): FakeEntry {
    const { lower, display, name } = splitPath(path);
    if (this.entries.has(lower)) throw new Error(`fake dropbox: ${path} exists (use updateFile)`);
    this.ensureParents(display);
    const now = timestamp();
    const body = toBuffer(content);
    const entry: FakeEntry = {
      tag: 'file',
      id: opts.id ?? newId(),
      name,
      pathLower: lower,
      pathDisplay: display,
      content: body,
      rev: newRev(),
      serverModified: now,
      clientModified: opts.clientModified ?? now,
      isDownloadable: opts.isDownloadable ?? true,
      exportAs: opts.isDownloadable === false ? (opts.exportAs ?? 'docx') : undefined,
      exportContent: opts.exportContent !== undefined ? toBuffer(opts.exportContent) : undefined,
    };
    this.put(entry);
    return entry;
  }

  updateFile(path: string, content: string | Buffer): FakeEntry {
    const entry = this.entries.get(splitPath(path).lower);
    if (!entry || entry.tag !== 'file') throw new Error(`fake dropbox: no file at ${path}`);
    entry.content = toBuffer(content);
    entry.rev = newRev();
    entry.serverModified = timestamp();
    if (entry.exportContent) entry.exportContent = entry.content;
    this.record(entry.pathLower);
    return entry;
  }

  /** Deletes a file, or a folder and everything under it (one change for the top path, like Dropbox). */
  deleteFile(path: string): void {
    const { lower } = splitPath(path);
    const entry = this.entries.get(lower);
    if (!entry) throw new Error(`fake dropbox: nothing at ${path}`);
    for (const e of this.subtree(lower)) this.remove(e);
    this.record(lower);
  }

  /** Moves/renames a file or folder; ids are kept. Reported as delete(from) + add(to...). */
  move(from: string, to: string): FakeEntry {
    const src = splitPath(from);
    const dst = splitPath(to);
    const root = this.entries.get(src.lower);
    if (!root) throw new Error(`fake dropbox: nothing at ${from}`);
    if (this.entries.has(dst.lower) && dst.lower !== src.lower) throw new Error(`fake dropbox: ${to} exists`);
    const moved = this.subtree(src.lower);
    for (const e of moved) this.remove(e);
    this.record(src.lower);
    this.ensureParents(dst.display);
    for (const e of moved) {
      const suffix = e.pathDisplay.slice(root.pathDisplay.length);
      e.pathDisplay = dst.display + suffix;
      e.pathLower = e.pathDisplay.toLowerCase();
      e.name = e === root ? dst.name : e.name;
      this.put(e);
    }
    return root;
  }

  /** Every outstanding cursor now gets 409 reset from list_folder/continue. */
  invalidateCursors(): void {
    this.epoch++;
    for (const listener of this.changeListeners) listener();
  }

  lookup(pathOrId: string): FakeEntry | undefined {
    if (pathOrId.startsWith('id:')) return [...this.entries.values()].find((e) => e.id === pathOrId);
    if (pathOrId.startsWith('rev:')) return [...this.entries.values()].find((e) => `rev:${e.rev}` === pathOrId);
    return this.entries.get(pathOrId.toLowerCase());
  }

  listFolder(arg: { path: string; recursive?: boolean; include_deleted?: boolean; limit?: number }): ListResult {
    const limit = arg.limit ?? 2000;
    if (!Number.isInteger(limit) || limit < 1 || limit > 2000) {
      throw new BadInput(`request body: limit: ${limit} is not within range [1, 2000]`);
    }
    let base = '';
    if (arg.path !== '') {
      if (arg.path === '/') throw new BadInput(`request body: path: Specify the root folder as an empty string rather than as "/".`);
      const folder = this.lookup(arg.path);
      if (!folder) throw new ApiConflict(['path', 'not_found'], { '.tag': 'path', path: { '.tag': 'not_found' } });
      if (folder.tag !== 'folder') throw new ApiConflict(['path', 'not_folder'], { '.tag': 'path', path: { '.tag': 'not_folder' } });
      base = folder.pathLower;
    }
    const state: CursorState = {
      e: this.epoch,
      p: base,
      r: arg.recursive ?? false,
      d: arg.include_deleted ?? false,
      l: limit,
      m: 's',
      s: this.seq,
    };
    return this.snapshotPage(state);
  }

  listFolderContinue(cursor: string): ListResult {
    const state = decodeCursor(cursor);
    if (state.e !== this.epoch) throw new ApiConflict(['reset'], { '.tag': 'reset' });
    // ListFolderContinueError.path: the listed folder itself was deleted (or replaced by a file).
    if (state.p !== '' && this.entries.get(state.p)?.tag !== 'folder') {
      throw new ApiConflict(['path', 'not_found'], { '.tag': 'path', path: { '.tag': 'not_found' } });
    }
    return state.m === 's' ? this.snapshotPage(state) : this.changesPage(state);
  }

  fileMetadata(e: FakeEntry): DropboxJson {
    if (e.tag === 'folder') return { '.tag': 'folder', name: e.name, path_lower: e.pathLower, path_display: e.pathDisplay, id: e.id };
    const meta: DropboxJson = {
      '.tag': 'file',
      name: e.name,
      path_lower: e.pathLower,
      path_display: e.pathDisplay,
      id: e.id,
      client_modified: e.clientModified,
      server_modified: e.serverModified,
      rev: e.rev,
      size: e.content.length,
      is_downloadable: e.isDownloadable,
    };
    if (e.isDownloadable) meta.content_hash = dropboxContentHash(e.content);
    else meta.export_info = { export_as: e.exportAs, export_options: [e.exportAs, 'pdf'] };
    return meta;
  }

  private snapshotPage(state: CursorState): ListResult {
    const all = [...this.entries.values()]
      .filter((e) => this.inScope(state, e.pathLower, true))
      .map((e) => ({ key: e.pathLower, json: this.fileMetadata(e) }));
    if (state.d) {
      for (const [lower, t] of this.tombstones) {
        if (this.inScope(state, lower, false)) all.push({ key: lower, json: deletedJson(lower, t) });
      }
    }
    all.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
    const rest = state.a === undefined ? all : all.filter((x) => x.key > state.a!);
    const page = rest.slice(0, state.l);
    const hasMore = rest.length > page.length;
    const next: CursorState = hasMore
      ? { ...state, a: page.at(-1)!.key }
      : { e: state.e, p: state.p, r: state.r, d: state.d, l: state.l, m: 'c', s: state.s };
    return { entries: page.map((x) => x.json), cursor: encodeCursor(next), has_more: hasMore };
  }

  private changesPage(state: CursorState): ListResult {
    // Net changes per path since the cursor, ordered by each path's latest change.
    const latest = new Map<string, number>();
    for (const c of this.changes) {
      if (c.seq > state.s && this.inScope(state, c.pathLower, false)) {
        latest.delete(c.pathLower);
        latest.set(c.pathLower, c.seq);
      }
    }
    const ordered = [...latest.entries()].sort((a, b) => a[1] - b[1]);
    const page = ordered.slice(0, state.l);
    const hasMore = ordered.length > page.length;
    const entries = page.map(([lower]) => {
      const e = this.entries.get(lower);
      return e ? this.fileMetadata(e) : deletedJson(lower, this.tombstones.get(lower)!);
    });
    const seq = hasMore ? page.at(-1)![1] : this.seq;
    return { entries, cursor: encodeCursor({ ...state, s: seq }), has_more: hasMore };
  }

  private inScope(state: CursorState, lower: string, includeSelf: boolean): boolean {
    if (lower === state.p) return includeSelf && state.r && state.p !== '';
    if (!lower.startsWith(`${state.p}/`)) return false;
    return state.r || !lower.slice(state.p.length + 1).includes('/');
  }

  private subtree(lower: string): FakeEntry[] {
    return [...this.entries.values()]
      .filter((e) => e.pathLower === lower || e.pathLower.startsWith(`${lower}/`))
      .sort((a, b) => a.pathLower.length - b.pathLower.length);
  }

  private ensureParents(display: string): void {
    const parts = display.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) this.addFolder(`/${parts.slice(0, i).join('/')}`);
  }

  private put(e: FakeEntry): void {
    this.entries.set(e.pathLower, e);
    this.tombstones.delete(e.pathLower);
    this.record(e.pathLower);
  }

  private remove(e: FakeEntry): void {
    this.entries.delete(e.pathLower);
    this.tombstones.set(e.pathLower, { name: e.name, pathDisplay: e.pathDisplay });
  }

  private record(pathLower: string): void {
    this.changes.push({ seq: ++this.seq, pathLower });
    for (const listener of this.changeListeners) listener();
  }
}

function deletedJson(lower: string, t: { name: string; pathDisplay: string }): DropboxJson {
  return { '.tag': 'deleted', name: t.name, path_lower: lower, path_display: t.pathDisplay };
}

function splitPath(path: string): { lower: string; display: string; name: string } {
  if (!path.startsWith('/') || path.endsWith('/') || path.includes('//')) {
    throw new Error(`fake dropbox: bad path "${path}" (absolute, no trailing slash)`);
  }
  return { lower: path.toLowerCase(), display: path, name: path.slice(path.lastIndexOf('/') + 1) };
}

function encodeCursor(state: CursorState): string {
  return `AA${Buffer.from(JSON.stringify(state)).toString('base64url')}`;
}

function decodeCursor(cursor: string): CursorState {
  try {
    const state = JSON.parse(Buffer.from(cursor.slice(2), 'base64url').toString('utf8')) as CursorState;
    if (!cursor.startsWith('AA') || typeof state.e !== 'number') throw new Error('shape');
    return state;
  } catch {
    throw new BadInput('request body: cursor: invalid cursor');
  }
}

function toBuffer(content: string | Buffer): Buffer {
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
}

function newId(): string {
  return `id:${randomBytes(16).toString('base64url').slice(0, 22)}`;
}

function newRev(): string {
  return randomBytes(8).toString('hex').slice(0, 15) + '0';
}

/** Dropbox timestamps have second precision and a Z suffix. */
function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
