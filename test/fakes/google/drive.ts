// Fake Drive v3: an in-memory corpus whose edits append to a change log, served with the real
// paths, query parameters, JSON shapes (partial responses via `fields`) and error reasons.
import crypto from 'node:crypto';
import { decodeToken, encodeToken, googleError, type FakeHttpServer, type FakeRequest, type FakeResponse } from './http.js';
import { selectFields } from './fields.js';

export const GOOGLE_TYPES = {
  document: 'application/vnd.google-apps.document',
  spreadsheet: 'application/vnd.google-apps.spreadsheet',
  presentation: 'application/vnd.google-apps.presentation',
  drawing: 'application/vnd.google-apps.drawing',
  form: 'application/vnd.google-apps.form',
  folder: 'application/vnd.google-apps.folder',
  shortcut: 'application/vnd.google-apps.shortcut',
} as const;

const EXPORT_FORMATS: Record<string, string[]> = {
  [GOOGLE_TYPES.document]: ['text/plain', 'text/html', 'application/pdf'],
  [GOOGLE_TYPES.spreadsheet]: ['text/csv', 'application/pdf'],
  [GOOGLE_TYPES.presentation]: ['text/plain', 'application/pdf'],
  [GOOGLE_TYPES.drawing]: ['image/png', 'application/pdf'],
};

interface DriveFile {
  id: string;
  name: string;
  mimeType: string;
  content: Buffer;
  version: number;
  modifiedTime: string;
  trashed: boolean;
  abusive: boolean;
  /** Drive measures the exported bytes against its 10 MB limit; a test flags a file instead of growing it. */
  exportTooLarge: boolean;
  /** Set for files on a shared drive (only listed with includeItemsFromAllDrives). */
  driveId?: string;
  /** Folder ids the user can see (empty for a file shared with the user outside their folders). */
  parents: string[];
  shortcutDetails?: { targetId: string; targetMimeType: string };
}

interface Change {
  seq: number;
  fileId: string;
  time: string;
}

const LIST_DEFAULT_FIELDS = 'kind,incompleteSearch,nextPageToken,files(kind,id,name,mimeType)';
const CHANGES_DEFAULT_FIELDS =
  'kind,nextPageToken,newStartPageToken,changes(kind,changeType,time,removed,fileId,file(kind,id,name,mimeType))';

export class FakeDrive {
  /** Exports larger than this many bytes fail with 403 exportSizeLimitExceeded (Google: 10 MB). */
  exportSizeLimit = 10 * 1024 * 1024;
  private readonly files = new Map<string, DriveFile>();
  private readonly changes: Change[] = [];
  private seq = 0;
  private minValidToken = 1;
  private invalidTokenStatus: 400 | 404 = 400;
  /** Files whose content endpoints answer 500 (a backend that cannot read them). */
  private readonly unreadable = new Set<string>();
  /** Files whose downloads/exports stop after this many body bytes and never finish (a dead connection). */
  private readonly stalled = new Map<string, number>();

  /** Called after each change is recorded (push channels, drive-push.ts). */
  readonly changeListeners: Array<() => void> = [];

  /** My Drive's root folder: `files.get('root')` answers it; files.list never returns it. */
  readonly rootId = `0A${crypto.randomBytes(12).toString('base64url')}`;

  constructor() {
    this.files.set(this.rootId, {
      id: this.rootId,
      name: 'My Drive',
      mimeType: GOOGLE_TYPES.folder,
      content: Buffer.alloc(0),
      version: 1,
      modifiedTime: new Date().toISOString(),
      trashed: false,
      abusive: false,
      exportTooLarge: false,
      parents: [],
    });
  }

  register(server: FakeHttpServer): void {
    server.route('drive.changes.getStartPageToken', 'GET', '/drive/v3/changes/startPageToken', () => ({
      status: 200,
      body: { kind: 'drive#startPageToken', startPageToken: String(this.seq + 1) },
    }));
    server.route('drive.about.get', 'GET', '/drive/v3/about', (req) => ({
      status: 200,
      body: selectFields(
        { kind: 'drive#about', user: { kind: 'drive#user', displayName: 'Alice', emailAddress: 'alice@example.com' } },
        req.query.get('fields'),
      ),
    }));
    server.route('drive.changes.list', 'GET', '/drive/v3/changes', (req) => this.listChanges(req));
    server.route('drive.files.list', 'GET', '/drive/v3/files', (req) => this.listFiles(req));
    server.route('drive.files.export', 'GET', '/drive/v3/files/:id/export', (req) => this.exportFile(req));
    server.route('drive.files.get', 'GET', '/drive/v3/files/:id', (req) => this.getFile(req));
  }

  // ---- corpus edits (each one is a change) -----------------------------------------------

  /**
   * `parent` defaults to My Drive's root (a shared drive's own id on a shared drive);
   * `sharedWithMe`: owned by someone else, in none of the user's folders (no `parents`).
   */
  addFile(input: {
    name: string;
    mimeType?: string;
    content?: string | Buffer;
    sharedDrive?: string;
    parent?: string;
    sharedWithMe?: boolean;
    shortcutDetails?: DriveFile['shortcutDetails'];
  }): string {
    const id = `1${crypto.randomBytes(24).toString('base64url').slice(0, 32)}`;
    const parent = input.parent ?? input.sharedDrive ?? this.rootId;
    this.files.set(id, {
      id,
      name: input.name,
      mimeType: input.mimeType ?? 'text/plain',
      content: Buffer.from(input.content ?? ''),
      version: 1,
      modifiedTime: new Date().toISOString(),
      trashed: false,
      abusive: false,
      exportTooLarge: false,
      driveId: input.sharedDrive,
      parents: input.sharedWithMe ? [] : [parent],
      shortcutDetails: input.shortcutDetails,
    });
    this.record(id);
    return id;
  }

  addFolder(name: string, parent?: string, options: { sharedWithMe?: boolean } = {}): string {
    return this.addFile({ name, mimeType: GOOGLE_TYPES.folder, parent, ...options });
  }

  addShortcut(name: string, targetId: string, parent?: string): string {
    const target = this.files.get(targetId);
    if (!target) throw new Error(`fake drive: no file ${targetId}`);
    return this.addFile({ name, mimeType: GOOGLE_TYPES.shortcut, parent, shortcutDetails: { targetId, targetMimeType: target.mimeType } });
  }

  moveFile(id: string, parent: string): void {
    this.update(id, (f) => (f.parents = [parent]));
  }

  /** A Docs Editors file; `text` is what every export format returns. */
  addGoogleFile(kind: keyof typeof GOOGLE_TYPES, name: string, text = ''): string {
    return this.addFile({ name, mimeType: GOOGLE_TYPES[kind], content: text });
  }

  modifyFile(id: string, content: string | Buffer): void {
    this.update(id, (f) => (f.content = Buffer.from(content)));
  }

  renameFile(id: string, name: string): void {
    this.update(id, (f) => (f.name = name));
  }

  trashFile(id: string): void {
    this.update(id, (f) => (f.trashed = true));
  }

  untrashFile(id: string): void {
    this.update(id, (f) => (f.trashed = false));
  }

  /** Permanent deletion: changes.list reports `removed: true` without a file. */
  deleteFile(id: string): void {
    this.files.delete(id);
    this.record(id);
  }

  markAbusive(id: string): void {
    this.update(id, (f) => (f.abusive = true));
  }

  /** Every export of this file answers 403 exportSizeLimitExceeded (not a change: the file is as it was). */
  markExportTooLarge(id: string): void {
    const file = this.files.get(id);
    if (!file) throw new Error(`fake drive: no file ${id}`);
    file.exportTooLarge = true;
  }

  /** Every change token handed out so far becomes invalid (Drive: 400 invalid pageToken, or 404). */
  /** Downloads and exports of this file answer 500 from now on. */
  breakContent(id: string): void {
    this.unreadable.add(id);
  }

  /** Downloads and exports of this file send `afterBytes` of the body, then stall forever; undefined: heal. */
  stallContent(id: string, afterBytes: number | undefined): void {
    if (afterBytes === undefined) this.stalled.delete(id);
    else this.stalled.set(id, afterBytes);
  }

  expireChangeTokens(status: 400 | 404 = 400): void {
    // Tokens equal to the current start token must expire too: move the head past them.
    this.seq += 1;
    this.minValidToken = this.seq + 1;
    this.invalidTokenStatus = status;
  }

  fileContent(id: string): Buffer | undefined {
    return this.files.get(id)?.content;
  }

  private update(id: string, edit: (f: DriveFile) => void): void {
    const file = this.files.get(id);
    if (!file) throw new Error(`fake drive: no file ${id}`);
    edit(file);
    file.version += 1;
    file.modifiedTime = new Date().toISOString();
    this.record(id);
  }

  private record(fileId: string): void {
    this.seq += 1;
    this.changes.push({ seq: this.seq, fileId, time: new Date().toISOString() });
    for (const listener of this.changeListeners) listener();
  }

  // ---- routes ---------------------------------------------------------------------------

  private listFiles(req: FakeRequest): FakeResponse {
    const pageSize = clampPageSize(req.query.get('pageSize'), 100);
    if (pageSize === undefined) return invalidValue('pageSize');
    const filter = parseQuery(req.query.get('q'));
    if (!filter) return googleError(400, 'invalid', 'Invalid Value', { location: 'q', locationType: 'parameter' });
    const allDrives = req.query.get('includeItemsFromAllDrives') === 'true';
    const matching = [...this.files.values()].filter((f) => f.id !== this.rootId && (allDrives || !f.driveId) && filter(f));
    const token = req.query.get('pageToken');
    const offset = token ? decodeToken<{ o: number }>(token)?.o : 0;
    if (offset === undefined) return invalidValue('pageToken');
    const slice = matching.slice(offset, offset + pageSize);
    const next = offset + slice.length;
    const body = {
      kind: 'drive#fileList',
      incompleteSearch: false,
      nextPageToken: next < matching.length ? encodeToken({ o: next }) : undefined,
      files: slice.map(fileResource),
    };
    return { status: 200, body: selectFields(body, req.query.get('fields') ?? LIST_DEFAULT_FIELDS) };
  }

  private listChanges(req: FakeRequest): FakeResponse {
    const raw = req.query.get('pageToken');
    if (!raw) return googleError(400, 'required', 'Required parameter: pageToken', { location: 'pageToken', locationType: 'parameter' });
    const from = Number(raw);
    if (!Number.isInteger(from) || from < this.minValidToken || from > this.seq + 1) {
      return this.invalidTokenStatus === 404
        ? googleError(404, 'notFound', `Page token is not valid: ${raw}`, { location: 'pageToken', locationType: 'parameter' })
        : googleError(400, 'invalid', 'Invalid Value', { location: 'pageToken', locationType: 'parameter' });
    }
    const pageSize = clampPageSize(req.query.get('pageSize'), 100);
    if (pageSize === undefined) return invalidValue('pageSize');
    const includeRemoved = req.query.get('includeRemoved') !== 'false';
    const allDrives = req.query.get('includeItemsFromAllDrives') === 'true';
    // Drive coalesces: only the latest change per file is reported.
    const lastSeqOf = new Map(this.changes.map((c) => [c.fileId, c.seq]));
    const page: object[] = [];
    let cursor = from;
    for (const change of this.changes) {
      if (change.seq < from) continue;
      if (page.length >= pageSize) break;
      cursor = change.seq + 1;
      if (lastSeqOf.get(change.fileId) !== change.seq) continue;
      const file = this.files.get(change.fileId);
      if (file?.driveId && !allDrives) continue;
      if (!file && !includeRemoved) continue;
      page.push({
        kind: 'drive#change',
        changeType: 'file',
        time: change.time,
        removed: !file,
        fileId: change.fileId,
        file: file ? fileResource(file) : undefined,
      });
    }
    const done = cursor > this.seq;
    const body = {
      kind: 'drive#changeList',
      nextPageToken: done ? undefined : String(cursor),
      newStartPageToken: done ? String(this.seq + 1) : undefined,
      changes: page,
    };
    return { status: 200, body: selectFields(body, req.query.get('fields') ?? CHANGES_DEFAULT_FIELDS) };
  }

  private getFile(req: FakeRequest): FakeResponse {
    const file = this.files.get(req.params.id === 'root' ? this.rootId : req.params.id);
    if (!file) return notFound(req.params.id);
    if (req.query.get('alt') !== 'media') {
      return { status: 200, body: selectFields(fileResource(file), req.query.get('fields') ?? 'kind,id,name,mimeType') };
    }
    if (this.unreadable.has(file.id)) return googleError(500, 'backendError', 'Backend Error');
    if (file.mimeType.startsWith('application/vnd.google-apps.')) {
      return googleError(
        403,
        'fileNotDownloadable',
        'Only files with binary content can be downloaded. Use Export with Docs Editors files.',
        {
          location: 'alt',
          locationType: 'parameter',
        },
      );
    }
    if (file.abusive && req.query.get('acknowledgeAbuse') !== 'true') {
      return googleError(403, 'cannotDownloadAbusiveFile', 'This file has been identified as malware or spam and cannot be downloaded.');
    }
    return { status: 200, headers: { 'content-type': file.mimeType }, body: file.content, stallAfterBytes: this.stalled.get(file.id) };
  }

  private exportFile(req: FakeRequest): FakeResponse {
    const file = this.files.get(req.params.id);
    if (!file) return notFound(req.params.id);
    const target = req.query.get('mimeType');
    if (!target) return googleError(400, 'required', 'Required parameter: mimeType', { location: 'mimeType', locationType: 'parameter' });
    const formats = EXPORT_FORMATS[file.mimeType];
    if (!formats) return googleError(403, 'fileNotExportable', 'Export only supports Docs Editors files.');
    if (!formats.includes(target)) return googleError(400, 'badRequest', 'The requested conversion is not supported.');
    if (file.exportTooLarge || file.content.length > this.exportSizeLimit) {
      return googleError(403, 'exportSizeLimitExceeded', 'This file is too large to be exported.');
    }
    return { status: 200, headers: { 'content-type': target }, body: file.content, stallAfterBytes: this.stalled.get(file.id) };
  }
}

function fileResource(f: DriveFile): Record<string, unknown> {
  const binary = !f.mimeType.startsWith('application/vnd.google-apps.');
  return {
    kind: 'drive#file',
    id: f.id,
    name: f.name,
    mimeType: f.mimeType,
    trashed: f.trashed,
    version: String(f.version),
    modifiedTime: f.modifiedTime,
    driveId: f.driveId,
    parents: f.parents.length ? f.parents : undefined,
    shortcutDetails: f.shortcutDetails,
    // Only binary files have a checksum and a size (int64 as a string, like the real API).
    md5Checksum: binary ? crypto.createHash('md5').update(f.content).digest('hex') : undefined,
    size: binary ? String(f.content.length) : undefined,
  };
}

/** The subset of the Drive query language the connectors use: `a = 'x' and b != y and 'id' in parents ...`. */
function parseQuery(q: string | null): ((f: DriveFile) => boolean) | undefined {
  if (!q) return () => true;
  const tests: Array<(f: DriveFile) => boolean> = [];
  for (const clause of q.split(/\s+and\s+/i)) {
    const parent = /^\s*'([^']+)'\s+in\s+parents\s*$/.exec(clause);
    if (parent) {
      tests.push((f) => f.parents.includes(parent[1]));
      continue;
    }
    const m = /^\s*(trashed|mimeType)\s*(=|!=)\s*('([^']*)'|true|false)\s*$/.exec(clause);
    if (!m) return undefined;
    const [, field, op, literal, quoted] = m;
    const expected: string | boolean = quoted !== undefined ? quoted : literal === 'true';
    tests.push((f) => (f[field as 'trashed' | 'mimeType'] === expected) === (op === '='));
  }
  return (f) => tests.every((t) => t(f));
}

function clampPageSize(raw: string | null, fallback: number): number | undefined {
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 1000) return undefined;
  return n;
}

function invalidValue(location: string): FakeResponse {
  return googleError(400, 'invalid', 'Invalid Value', { location, locationType: 'parameter' });
}

function notFound(id: string): FakeResponse {
  return googleError(404, 'notFound', `File not found: ${id}.`, { location: 'fileId', locationType: 'parameter' });
}
