// Fake Gmail v1: an in-memory mailbox whose edits append history records (historyId advances),
// served with the real paths, parameters, JSON shapes and the 404 for an expired startHistoryId.
import crypto from 'node:crypto';
import { decodeToken, encodeToken, googleError, type FakeHttpServer, type FakeRequest, type FakeResponse } from './http.js';

interface Message {
  id: string;
  threadId: string;
  labelIds: string[];
  raw: Buffer;
  historyId: number;
  internalDate: number;
}

type HistoryKind = 'messageAdded' | 'messageDeleted' | 'labelAdded' | 'labelRemoved';

interface HistoryRecord {
  id: number;
  kind: HistoryKind;
  message: { id: string; threadId: string; labelIds: string[] };
  /** The labels added or removed (label events only). */
  labelIds?: string[];
}

const LIST_KEYS: Record<HistoryKind, string> = {
  messageAdded: 'messagesAdded',
  messageDeleted: 'messagesDeleted',
  labelAdded: 'labelsAdded',
  labelRemoved: 'labelsRemoved',
};

export class FakeGmail {
  readonly emailAddress = 'alice@example.com';
  private readonly messages = new Map<string, Message>();
  /** Messages whose retrieval answers 500 (a backend that cannot read them). */
  private readonly unreadable = new Set<string>();
  private readonly history: HistoryRecord[] = [];
  /** Called after each history record (Pub/Sub push, gmail-push.ts). */
  readonly changeListeners: Array<() => void> = [];
  private historyId = 4000;
  private minValidHistoryId = 0;

  register(server: FakeHttpServer): void {
    const base = '/gmail/v1/users/:userId';
    server.route('gmail.users.getProfile', 'GET', `${base}/profile`, (req) => this.guard(req, () => this.profile()));
    server.route('gmail.messages.list', 'GET', `${base}/messages`, (req) => this.guard(req, () => this.list(req)));
    // Metadata reads (listing) and content reads (download) share a path; separate names let a
    // test count or fail one kind without the other.
    const metadata = (q: URLSearchParams) => q.get('format') === 'metadata';
    server.route(
      'gmail.messages.get.metadata',
      'GET',
      `${base}/messages/:id`,
      (req) => this.guard(req, () => this.get(req)),
      true,
      metadata,
    );
    server.route('gmail.messages.get', 'GET', `${base}/messages/:id`, (req) => this.guard(req, () => this.get(req)));
    server.route('gmail.history.list', 'GET', `${base}/history`, (req) => this.guard(req, () => this.listHistory(req)));
  }

  // ---- mailbox edits (each one is a history record) ----------------------------------------

  addMessage(input: { subject?: string; body?: string; from?: string; cc?: string; labelIds?: string[]; raw?: string | Buffer }): string {
    const id = crypto.randomBytes(8).toString('hex');
    const raw =
      input.raw !== undefined
        ? Buffer.from(input.raw)
        : Buffer.from(
            [
              `From: ${input.from ?? 'bob@example.com'}`,
              `To: ${this.emailAddress}`,
              ...(input.cc ? [`Cc: ${input.cc}`] : []),
              // A message may have no Subject header at all.
              ...(input.subject !== undefined ? [`Subject: ${input.subject}`] : []),
              `Date: ${new Date().toUTCString()}`,
              `Message-ID: <${id}@fake.example.com>`,
              'MIME-Version: 1.0',
              'Content-Type: text/plain; charset=UTF-8',
              '',
              input.body ?? `Body of ${input.subject ?? 'a message'}`,
            ].join('\r\n'),
          );
    const message: Message = {
      id,
      threadId: id,
      labelIds: input.labelIds ?? ['INBOX', 'UNREAD'],
      raw,
      historyId: 0,
      internalDate: Date.now(),
    };
    this.messages.set(id, message);
    this.record('messageAdded', message);
    return id;
  }

  /** Permanent deletion (not a move to TRASH). */
  deleteMessage(id: string): void {
    const message = this.mustGet(id);
    this.messages.delete(id);
    this.record('messageDeleted', message);
  }

  addLabels(id: string, labelIds: string[]): void {
    const message = this.mustGet(id);
    const added = labelIds.filter((l) => !message.labelIds.includes(l));
    message.labelIds.push(...added);
    this.record('labelAdded', message, added);
  }

  removeLabels(id: string, labelIds: string[]): void {
    const message = this.mustGet(id);
    const removed = message.labelIds.filter((l) => labelIds.includes(l));
    message.labelIds = message.labelIds.filter((l) => !labelIds.includes(l));
    this.record('labelRemoved', message, removed);
  }

  /** History before now is gone: history.list with an older startHistoryId gets 404. */
  /** messages.get of this message answers 500 from now on. */
  breakContent(id: string): void {
    this.unreadable.add(id);
  }

  expireHistory(): void {
    this.minValidHistoryId = this.historyId;
  }

  currentHistoryId(): string {
    return String(this.historyId);
  }

  rawMessage(id: string): Buffer | undefined {
    return this.messages.get(id)?.raw;
  }

  private mustGet(id: string): Message {
    const message = this.messages.get(id);
    if (!message) throw new Error(`fake gmail: no message ${id}`);
    return message;
  }

  private record(kind: HistoryKind, message: Message, labelIds?: string[]): void {
    this.historyId += 1;
    message.historyId = this.historyId;
    this.history.push({
      id: this.historyId,
      kind,
      message: { id: message.id, threadId: message.threadId, labelIds: [...message.labelIds] },
      labelIds,
    });
    for (const listener of this.changeListeners) listener();
  }

  // ---- routes ---------------------------------------------------------------------------

  private guard(req: FakeRequest, answer: () => FakeResponse): FakeResponse {
    const user = req.params.userId;
    if (user !== 'me' && user !== this.emailAddress) {
      return googleError(403, 'forbidden', 'Delegation denied for ' + this.emailAddress);
    }
    return answer();
  }

  private profile(): FakeResponse {
    return {
      status: 200,
      body: {
        emailAddress: this.emailAddress,
        messagesTotal: this.messages.size,
        threadsTotal: this.messages.size,
        historyId: String(this.historyId),
      },
    };
  }

  private list(req: FakeRequest): FakeResponse {
    const maxResults = clamp(req.query.get('maxResults'), 100, 500);
    if (maxResults === undefined) return invalidArgument('Invalid maxResults');
    const labels = req.query.getAll('labelIds');
    const q = (req.query.get('q') ?? '').toLowerCase();
    const spamTrash = req.query.get('includeSpamTrash') === 'true';
    const matching = [...this.messages.values()]
      .filter((m) => labels.every((l) => m.labelIds.includes(l)))
      .filter((m) => spamTrash || !m.labelIds.some((l) => l === 'SPAM' || l === 'TRASH'))
      .filter((m) => !q || m.raw.toString('utf8').toLowerCase().includes(q))
      .sort((a, b) => b.internalDate - a.internalDate || b.historyId - a.historyId);
    const token = req.query.get('pageToken');
    const offset = token ? decodeToken<{ o: number }>(token)?.o : 0;
    if (offset === undefined) return invalidArgument('Invalid pageToken');
    const slice = matching.slice(offset, offset + maxResults);
    const next = offset + slice.length;
    const body: Record<string, unknown> = { resultSizeEstimate: matching.length };
    if (slice.length) body.messages = slice.map((m) => ({ id: m.id, threadId: m.threadId }));
    if (next < matching.length) body.nextPageToken = encodeToken({ o: next });
    return { status: 200, body };
  }

  private get(req: FakeRequest): FakeResponse {
    const message = this.messages.get(req.params.id);
    if (!message) return googleError(404, 'notFound', 'Requested entity was not found.');
    const format = req.query.get('format') ?? 'full';
    // A broken message's headers still read: only its content cannot be fetched.
    if (this.unreadable.has(message.id) && format !== 'metadata') return googleError(500, 'backendError', 'Backend Error');
    const text = message.raw.toString('utf8');
    const body: Record<string, unknown> = {
      id: message.id,
      threadId: message.threadId,
      labelIds: message.labelIds,
      snippet: text.split(/\r?\n\r?\n/)[1]?.slice(0, 100) ?? '',
      sizeEstimate: message.raw.length,
      historyId: String(message.historyId),
      internalDate: String(message.internalDate),
    };
    if (format === 'raw') body.raw = message.raw.toString('base64url');
    else if (format === 'metadata') body.payload = payloadOf(message.raw, req.query.getAll('metadataHeaders'));
    else if (format === 'full') body.payload = payloadOf(message.raw);
    else if (format !== 'minimal') return invalidArgument(`format ${format} is not supported by the fake`);
    return { status: 200, body };
  }

  private listHistory(req: FakeRequest): FakeResponse {
    const start = Number(req.query.get('startHistoryId'));
    if (!req.query.get('startHistoryId') || !Number.isInteger(start)) return invalidArgument('Invalid startHistoryId');
    if (start < this.minValidHistoryId) return googleError(404, 'notFound', 'Requested entity was not found.');
    const maxResults = clamp(req.query.get('maxResults'), 100, 500);
    if (maxResults === undefined) return invalidArgument('Invalid maxResults');
    const token = req.query.get('pageToken');
    const after = token ? decodeToken<{ after: number }>(token)?.after : start;
    if (after === undefined) return invalidArgument('Invalid pageToken');
    const types = req.query.getAll('historyTypes');
    const labelId = req.query.get('labelId');
    const newer = this.history.filter((h) => h.id > after);
    const page = newer.slice(0, maxResults);
    const visible = page
      .filter((h) => !types.length || types.includes(h.kind))
      .filter((h) => !labelId || h.message.labelIds.includes(labelId) || h.labelIds?.includes(labelId));
    const body: Record<string, unknown> = { historyId: String(this.historyId) };
    if (visible.length) body.history = visible.map(historyResource);
    if (newer.length > page.length) body.nextPageToken = encodeToken({ after: page.at(-1)!.id });
    return { status: 200, body };
  }
}

/**
 * The parsed top-level part, as Gmail returns it: `headers` in message order (with
 * `metadataHeaders` only those names, case-insensitively); `full` also carries the body.
 */
function payloadOf(raw: Buffer, metadataHeaders?: string[]): Record<string, unknown> {
  const text = raw.toString('utf8');
  const split = text.search(/\r?\n\r?\n/);
  const head = split < 0 ? text : text.slice(0, split);
  const bodyText = split < 0 ? '' : text.slice(split).replace(/^\r?\n\r?\n/, '');
  // Unfold continuation lines (RFC 5322 2.2.3) before splitting into name: value.
  const headers = head
    .replace(/\r?\n[ \t]+/g, ' ')
    .split(/\r?\n/)
    .map((line) => /^([^:\s]+):\s*(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ name: m[1], value: m[2] }));
  const wanted = metadataHeaders?.map((h) => h.toLowerCase());
  const mimeType = /^([^;\s]+)/.exec(headers.find((h) => h.name.toLowerCase() === 'content-type')?.value ?? '')?.[1] ?? 'text/plain';
  const payload: Record<string, unknown> = {
    partId: '',
    mimeType,
    filename: '',
    headers: wanted?.length ? headers.filter((h) => wanted.includes(h.name.toLowerCase())) : headers,
  };
  if (metadataHeaders === undefined) {
    const data = Buffer.from(bodyText);
    payload.body = { size: data.length, data: data.toString('base64url') };
  }
  return payload;
}

function historyResource(h: HistoryRecord): Record<string, unknown> {
  const entry: Record<string, unknown> = { message: h.message };
  if (h.labelIds) entry.labelIds = h.labelIds;
  return { id: String(h.id), messages: [{ id: h.message.id, threadId: h.message.threadId }], [LIST_KEYS[h.kind]]: [entry] };
}

function clamp(raw: string | null, fallback: number, max: number): number | undefined {
  if (raw === null) return fallback;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 && n <= max ? n : undefined;
}

function invalidArgument(message: string): FakeResponse {
  return googleError(400, 'invalidArgument', message);
}
