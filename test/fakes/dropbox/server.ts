// A fake Dropbox API on 127.0.0.1 speaking the real wire protocol (routes, JSON bodies,
// Dropbox-API-Arg / Dropbox-API-Result headers, OAuth refresh, error envelopes) so the real
// `dropbox` SDK and our own streaming download can be tested against it. One port serves
// the api, content and oauth routes; the connector's apiBaseUrl maps all hosts here.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiConflict, BadInput, FakeDropboxAccount, type AddFileOptions, type DropboxJson, type FakeEntry } from './account.js';
import { FaultBook, type FakeAppBudget, type Fault, type FakeRoute, type FaultSchedule } from './faults.js';
import { FakeLongpoll } from './longpoll.js';

export type { AddFileOptions, FakeEntry } from './account.js';
export { FakeAppBudget, type Fault, type FakeRoute, type FaultSchedule } from './faults.js';
export type { FakeLongpoll, LongpollRecord } from './longpoll.js';

/** Routes Dropbox serves without an Authorization header (the notify host). */
const NO_AUTH_ROUTES = new Set(['/oauth2/token', '/2/files/list_folder/longpoll']);

export interface RecordedRequest {
  route: string;
  method: string;
  /** Date.now() when the request arrived. */
  at: number;
  /** HTTP status answered (undefined while in flight or when the socket was cut). */
  status?: number;
  /** Date.now() when the answer was fully handed to the socket (chaos/storm timing analysis). */
  finishedAt?: number;
  /** Seconds announced by an injected rate limit (Retry-After / retry_after). */
  retryAfterSeconds?: number;
  /** list_folder/continue: the cursor asked for (to spot a page listed twice). */
  cursor?: string;
  /** Refused by the app-wide budget (a quota 429), not by an injected fault. */
  quota?: boolean;
}

export interface FakeDropboxOptions {
  appKey?: string;
  appSecret?: string;
  refreshToken?: string;
  /** expires_in of issued access tokens, seconds (default 14400 like Dropbox). */
  tokenExpiresIn?: number;
  /** Another account model (e.g. the generated benchmark corpus in corpus.ts). */
  account?: FakeDropboxAccount;
  /** An app-wide request budget across every token (share one instance between fakes: one app). */
  appBudget?: FakeAppBudget;
  /** users/get_current_account's account_id (default: a fresh one per fake, as every Dropbox account has its own). */
  accountId?: string;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, call: number) => Promise<void> | void;

export class FakeDropbox {
  readonly appKey: string;
  readonly appSecret: string;
  readonly refreshToken: string;
  readonly accountId: string;
  tokenExpiresIn: number;
  /** Requests per route path, e.g. counts['/2/files/list_folder/continue']. */
  counts: Record<string, number> = {};
  requests: RecordedRequest[] = [];
  /** The notify host's list_folder/longpoll: its poll log, backoff and hold settings. */
  readonly longpoll: FakeLongpoll;

  private readonly account: FakeDropboxAccount;
  private readonly appBudget?: FakeAppBudget;
  private readonly faults = new FaultBook();
  private readonly tokens = new Map<string, { expiresAt: number; expired: boolean }>();
  private currentToken: string;
  private refreshRevoked = false;
  /** path_lower of files whose content endpoints always answer 500 (a file the server cannot read). */
  private readonly unreadable = new Set<string>();
  private server?: http.Server;
  private readonly routes: Record<string, Handler>;

  constructor(options: FakeDropboxOptions = {}) {
    this.appKey = options.appKey ?? `key${randomBytes(6).toString('hex')}`;
    this.appSecret = options.appSecret ?? `secret${randomBytes(12).toString('hex')}`;
    this.refreshToken = options.refreshToken ?? `rt-${randomBytes(24).toString('base64url')}`;
    this.tokenExpiresIn = options.tokenExpiresIn ?? 14400;
    this.accountId = options.accountId ?? `dbid:${randomBytes(30).toString('base64url')}`;
    this.account = options.account ?? new FakeDropboxAccount();
    this.appBudget = options.appBudget;
    this.currentToken = this.issueAccessToken();
    this.longpoll = new FakeLongpoll(this.account);
    this.routes = {
      '/oauth2/token': (req, res, body) => this.token(req, res, body),
      '/2/users/get_current_account': (req, res, body) => this.rpc(req, res, body, () => this.currentAccount(), true),
      '/2/files/list_folder': (req, res, body) => this.rpc(req, res, body, (arg) => this.account.listFolder(listArg(arg))),
      '/2/files/list_folder/continue': (req, res, body) =>
        this.rpc(req, res, body, (arg) => this.account.listFolderContinue(stringField(arg, 'cursor'))),
      '/2/files/list_folder/longpoll': (req, res, body) => this.longpoll.handle(req, res, body),
      '/2/files/download': (req, res, _b, call) => this.content(req, res, call, 'download'),
      '/2/files/export': (req, res, _b, call) => this.content(req, res, call, 'export'),
    };
  }

  // ---- lifecycle ----------------------------------------------------------------------

  async start(): Promise<{ url: string }> {
    this.server = http.createServer((req, res) => this.serve(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}` };
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Answers one request (paths as Dropbox's: /2/…, /oauth2/token): for a server of several fakes (host.ts). */
  serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    void this.handle(req, res);
  }

  // ---- account API for tests ------------------------------------------------------------

  addFile(path: string, content: string | Buffer, opts?: AddFileOptions): FakeEntry {
    return this.account.addFile(path, content, opts);
  }
  addFolder(path: string): FakeEntry {
    return this.account.addFolder(path);
  }
  updateFile(path: string, content: string | Buffer): FakeEntry {
    return this.account.updateFile(path, content);
  }
  /** Deletes a file, or a folder with everything under it. */
  deleteFile(path: string): void {
    this.account.deleteFile(path);
  }
  move(from: string, to: string): FakeEntry {
    return this.account.move(from, to);
  }
  invalidateCursors(): void {
    this.account.invalidateCursors();
  }
  lookup(pathOrId: string): FakeEntry | undefined {
    return this.account.lookup(pathOrId);
  }
  /** Metadata JSON exactly as list_folder reports it. */
  metadataOf(pathOrId: string): DropboxJson | undefined {
    const e = this.account.lookup(pathOrId);
    return e && this.account.fileMetadata(e);
  }
  get sequence(): number {
    return this.account.sequence;
  }

  // ---- tokens -----------------------------------------------------------------------------

  /** Every access token issued so far (for "no secret leaked" assertions). */
  get issuedTokens(): string[] {
    return [...this.tokens.keys()];
  }
  /** The access token the fake currently accepts (the latest one issued). */
  get accessToken(): string {
    return this.currentToken;
  }
  /** Mints a valid access token (as a refresh would) and makes it current. */
  issueAccessToken(): string {
    const token = `sl.${randomBytes(36).toString('base64url')}`;
    this.tokens.set(token, { expiresAt: Date.now() + this.tokenExpiresIn * 1000, expired: false });
    this.currentToken = token;
    return token;
  }
  /** From now on `token` (default: the current one) gets 401 expired_access_token. */
  expireAccessToken(token: string = this.currentToken): void {
    const t = this.tokens.get(token);
    if (t) t.expired = true;
  }
  /** The refresh token stops working: /oauth2/token answers 400 invalid_grant. */
  revokeRefreshToken(): void {
    this.refreshRevoked = true;
  }
  /** Downloads and exports of this file answer 500 from now on. */
  breakContent(path: string): void {
    this.unreadable.add(path.toLowerCase());
  }
  /** The user re-authorised the app: the refresh token works again. */
  restoreRefreshToken(): void {
    this.refreshRevoked = false;
  }

  // ---- faults and recording -----------------------------------------------------------------

  inject(route: FakeRoute, fault: Fault, schedule?: FaultSchedule): void {
    this.faults.add(route, fault, schedule);
  }
  clearFaults(): void {
    this.faults.clear();
  }
  resetRecording(): void {
    this.counts = {};
    this.requests = [];
  }
  count(route: FakeRoute): number {
    return this.counts[route] ?? 0;
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const route = new URL(req.url ?? '/', 'http://fake').pathname;
    const record: RecordedRequest = { route, method: req.method ?? '', at: Date.now() };
    this.requests.push(record);
    const call = (this.counts[route] = (this.counts[route] ?? 0) + 1);
    res.on('finish', () => {
      record.status = res.statusCode;
      record.finishedAt = Date.now();
    });
    try {
      const body = await readBody(req);
      if (route === '/2/files/list_folder/continue') record.cursor = cursorOf(body);
      const handler = this.routes[route];
      if (!handler) return sendText(res, 404, `Unknown API function: "${route}"`);
      if (req.method !== 'POST') return sendText(res, 405, 'Method not allowed; use POST');
      const quotaWait = route.startsWith('/2/') ? this.appBudget?.take(record.at) : undefined;
      if (quotaWait !== undefined) {
        Object.assign(record, { quota: true, retryAfterSeconds: quotaWait });
        return void (await this.applyRequestFault(res, { kind: 'rate-limit', retryAfterSeconds: quotaWait }));
      }
      const fault = this.faults.takeRequestFault(route, call);
      if (fault?.kind === 'rate-limit') record.retryAfterSeconds = fault.retryAfterSeconds ?? 30;
      if (fault && (await this.applyRequestFault(res, fault))) return;
      if (!NO_AUTH_ROUTES.has(route) && !this.authorized(req, res)) return;
      await handler(req, res, body, call);
    } catch (err) {
      if (err instanceof ApiConflict) return sendConflict(res, err);
      if (err instanceof BadInput) return sendText(res, 400, `Error in call to API function "${route.slice(3)}": ${err.message}`);
      if (!res.headersSent) sendText(res, 500, `fake dropbox bug: ${(err as Error).message}`);
      else res.destroy();
    }
  }

  /** true when the fault answered the request. */
  private async applyRequestFault(res: http.ServerResponse, fault: Fault): Promise<boolean> {
    switch (fault.kind) {
      case 'slow':
        await sleep(fault.delayMs);
        return false;
      case 'rate-limit': {
        const seconds = fault.retryAfterSeconds ?? 30;
        const headers: http.OutgoingHttpHeaders = {};
        if (fault.header !== false) headers['Retry-After'] = String(seconds);
        const error: DropboxJson = { reason: { '.tag': 'too_many_requests' } };
        if (fault.body !== false) error.retry_after = seconds;
        sendJson(res, fault.status ?? 429, { error_summary: 'too_many_requests/...', error }, headers);
        return true;
      }
      case 'expired-token':
        sendJson(res, 401, envelope(['expired_access_token'], { '.tag': 'expired_access_token' }));
        return true;
      case 'invalid-token':
        sendJson(res, 401, envelope(['invalid_access_token'], { '.tag': 'invalid_access_token' }));
        return true;
      case 'server-error':
        sendText(res, fault.status ?? 500, fault.text ?? 'Internal Server Error');
        return true;
      default:
        return false;
    }
  }

  private authorized(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const header = req.headers.authorization;
    const match = header?.match(/^Bearer (\S+)$/);
    if (!match) {
      sendText(res, 400, 'Error in call to API function: Must provide HTTP header "Authorization" or URL parameter "authorization".');
      return false;
    }
    const token = this.tokens.get(match[1]);
    if (!token) {
      sendJson(res, 401, envelope(['invalid_access_token'], { '.tag': 'invalid_access_token' }));
      return false;
    }
    if (token.expired || token.expiresAt <= Date.now()) {
      sendJson(res, 401, envelope(['expired_access_token'], { '.tag': 'expired_access_token' }));
      return false;
    }
    return true;
  }

  /** POST /oauth2/token, grant_type=refresh_token; params in the query string or a form body. */
  private token(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
    const params = new URL(req.url ?? '/', 'http://fake').searchParams;
    if ((req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.set(k, v);
    }
    const basic = req.headers.authorization?.match(/^Basic (.+)$/);
    if (basic) {
      const [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
      params.set('client_id', id);
      params.set('client_secret', secret);
    }
    if (params.get('grant_type') !== 'refresh_token') {
      return sendJson(res, 400, { error: 'unsupported_grant_type', error_description: 'grant_type must be refresh_token' });
    }
    if (params.get('client_id') !== this.appKey || params.get('client_secret') !== this.appSecret) {
      return sendJson(res, 400, { error: 'invalid_client', error_description: 'Invalid client_id or client_secret' });
    }
    if (this.refreshRevoked || params.get('refresh_token') !== this.refreshToken) {
      return sendJson(res, 400, { error: 'invalid_grant', error_description: 'refresh token is invalid or revoked' });
    }
    const accessToken = this.issueAccessToken();
    sendJson(res, 200, { access_token: accessToken, token_type: 'bearer', expires_in: this.tokenExpiresIn });
  }

  private rpc(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, run: (arg: DropboxJson) => unknown, noArg = false): void {
    const text = body.toString('utf8').trim();
    let arg: DropboxJson = {};
    if (noArg) {
      if (text !== '' && text !== 'null') throw new BadInput('request body: expected null, got value');
    } else {
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
        throw new BadInput(`Bad HTTP "Content-Type" header: "${req.headers['content-type'] ?? ''}". Expecting "application/json".`);
      }
      try {
        arg = JSON.parse(text) as DropboxJson;
      } catch {
        throw new BadInput('request body: could not decode input as JSON');
      }
    }
    sendJson(res, 200, run(arg));
  }

  /** Content-host routes: argument in Dropbox-API-Arg, metadata in Dropbox-API-Result, bytes in the body. */
  private async content(req: http.IncomingMessage, res: http.ServerResponse, call: number, kind: 'download' | 'export'): Promise<void> {
    const raw = req.headers['dropbox-api-arg'];
    // Dropbox rejects non-ASCII header bytes: clients must send \uXXXX escapes.
    if (typeof raw !== 'string' || /[^\x20-\x7e]/.test(raw)) {
      throw new BadInput('HTTP header "Dropbox-API-Arg": could not decode input as JSON');
    }
    let arg: DropboxJson;
    try {
      arg = JSON.parse(raw) as DropboxJson;
    } catch {
      throw new BadInput('HTTP header "Dropbox-API-Arg": could not decode input as JSON');
    }
    const entry = this.account.lookup(stringField(arg, 'path'));
    if (!entry) throw new ApiConflict(['path', 'not_found'], { '.tag': 'path', path: { '.tag': 'not_found' } });
    if (entry.tag !== 'file') throw new ApiConflict(['path', 'not_file'], { '.tag': 'path', path: { '.tag': 'not_file' } });
    if (this.unreadable.has(entry.pathLower)) {
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Internal Server Error');
      return;
    }

    if (entry.stream && kind === 'download') {
      // Generated bodies (benchmarks): streamed with back-pressure, never held in memory.
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(entry.stream.size),
        'Dropbox-API-Result': headerSafeJson(this.account.fileMetadata(entry)),
      });
      await pipeline(entry.stream.open(), res).catch(() => res.destroy());
      return;
    }
    let content: Buffer;
    let result: DropboxJson;
    if (kind === 'download') {
      if (!entry.isDownloadable) throw new ApiConflict(['unsupported_file'], { '.tag': 'unsupported_file' });
      content = entry.content;
      result = this.account.fileMetadata(entry);
    } else {
      if (entry.isDownloadable) throw new ApiConflict(['non_exportable'], { '.tag': 'non_exportable' });
      content = entry.exportContent ?? entry.content;
      const base = entry.name.replace(/\.[^.]*$/, '');
      result = {
        export_metadata: { name: `${base}.${entry.exportAs}`, size: content.length, export_hash: randomBytes(8).toString('hex') },
        file_metadata: this.account.fileMetadata(entry),
      };
    }
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(content.length),
      'Dropbox-API-Result': headerSafeJson(result),
    });
    const fault = this.faults.takeBodyFault(`/2/files/${kind}`, call);
    if (!fault) {
      res.end(content);
      return;
    }
    const sendBytes =
      (fault.kind === 'truncate' || fault.kind === 'stall') && fault.sendBytes !== undefined
        ? fault.sendBytes
        : Math.floor(content.length / 2);
    res.write(content.subarray(0, sendBytes), () => {
      if (fault.kind === 'truncate') res.socket?.destroy();
      // 'stall': keep the socket open and silent; the client's idle timeout or stop() ends it.
    });
  }

  private currentAccount(): DropboxJson {
    return {
      account_id: this.accountId,
      name: {
        given_name: 'Franz',
        surname: 'Ferdinand',
        familiar_name: 'Franz',
        display_name: 'Franz Ferdinand (Personal)',
        abbreviated_name: 'FF',
      },
      email: 'franz@example.com',
      email_verified: true,
      disabled: false,
      locale: 'en',
      referral_link: 'https://db.tt/ZITNuhtI',
      is_paired: false,
      account_type: { '.tag': 'basic' },
      root_info: { '.tag': 'user', root_namespace_id: '3235641', home_namespace_id: '3235641' },
      country: 'US',
    };
  }
}

// ---- wire helpers ---------------------------------------------------------------------------

function envelope(tags: string[], error: DropboxJson): DropboxJson {
  return { error_summary: `${tags.join('/')}/...`, error };
}

function sendConflict(res: http.ServerResponse, err: ApiConflict): void {
  sendJson(res, 409, envelope(err.tags, err.errorBody));
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendText(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Dropbox's HTTP-header-safe JSON: every non-ASCII code unit as \uXXXX. */
export function headerSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

function cursorOf(body: Buffer): string | undefined {
  try {
    const cursor = (JSON.parse(body.toString('utf8')) as DropboxJson).cursor;
    return typeof cursor === 'string' ? cursor : undefined;
  } catch {
    return undefined;
  }
}

function stringField(arg: DropboxJson, field: string): string {
  const value = arg?.[field];
  if (typeof value !== 'string') throw new BadInput(`request body: missing required field '${field}'`);
  return value;
}

function listArg(arg: DropboxJson): { path: string; recursive?: boolean; include_deleted?: boolean; limit?: number } {
  return {
    path: stringField(arg, 'path'),
    recursive: arg.recursive === true,
    include_deleted: arg.include_deleted === true,
    limit: typeof arg.limit === 'number' ? arg.limit : undefined,
  };
}
