// The HTTP plumbing shared by the Google fakes: routing on 127.0.0.1, the Google error
// envelope, bearer-token checks, a per-route request log and queued failures.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  /** Path without the query string, e.g. `/drive/v3/files/abc`. */
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings and Buffers as they are. */
  body?: unknown;
  /** Sends the headers (full Content-Length) and this many body bytes, then nothing more: a stalled connection. */
  stallAfterBytes?: number;
}

export interface LoggedRequest {
  route: string;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  status: number;
  /** When the answer was handed to the socket (epoch ms). */
  at: number;
  /** When the request arrived (epoch ms). */
  receivedAt: number;
}

/** A failure to answer instead of the real response; `network` destroys the socket. */
export type Failure = { status: number; reason?: string; message?: string; domain?: string; retryAfter?: string } | 'network';

type Handler = (req: FakeRequest) => FakeResponse | Promise<FakeResponse>;

interface Route {
  name: string;
  method: string;
  pattern: RegExp;
  keys: string[];
  /** false: no bearer token needed (the token endpoint). */
  auth: boolean;
  handler: Handler;
  /** Only requests whose query passes (one path, several routes: e.g. a metadata read vs a download). */
  accepts?: (query: URLSearchParams) => boolean;
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** Google's JSON error envelope, as the v1/v3 REST APIs send it. */
export function googleError(
  status: number,
  reason: string,
  message: string,
  extra: { domain?: string; location?: string; locationType?: string; headers?: Record<string, string> } = {},
): FakeResponse {
  const detail: Record<string, string> = { domain: extra.domain ?? 'global', reason, message };
  if (extra.location) detail.location = extra.location;
  if (extra.locationType) detail.locationType = extra.locationType;
  return {
    status,
    headers: extra.headers,
    body: { error: { code: status, message, errors: [detail], status: STATUS_NAMES[status] ?? 'UNKNOWN' } },
  };
}

export class FakeHttpServer {
  readonly requests: LoggedRequest[] = [];
  private readonly routes: Route[] = [];
  private readonly failures = new Map<string, Failure[]>();
  /** One-shot actions run when the next request to a route arrives, before its token is checked. */
  private readonly arrivals = new Map<string, () => void>();
  private server?: http.Server;
  private baseUrl = '';

  constructor(private readonly isValidToken: (token: string) => boolean) {}

  get url(): string {
    return this.baseUrl;
  }

  /** Registers a route; `:name` segments become params. */
  route(name: string, method: string, path: string, handler: Handler, auth = true, accepts?: Route['accepts']): void {
    const keys: string[] = [];
    const source = path.replace(/:([a-zA-Z]+)/g, (_m, key: string) => {
      keys.push(key);
      return '([^/]+)';
    });
    this.routes.push({ name, method, pattern: new RegExp(`^${source}$`), keys, auth, handler, accepts });
  }

  /** The next `times` requests to `route` (after the token check) get `failure`. */
  /**
   * Runs `action` when the next request to `route` arrives, before its bearer token is checked: e.g.
   * expiring every token at the first download, so that download (not the listing) meets the 401.
   */
  onNextArrival(route: string, action: () => void): void {
    this.arrivals.set(route, action);
  }

  failNext(route: string, failure: Failure, times = 1): void {
    const queue = this.failures.get(route) ?? [];
    for (let i = 0; i < times; i++) queue.push(failure);
    this.failures.set(route, queue);
  }

  /** Drops every queued failure. */
  clearFailures(): void {
    this.failures.clear();
  }

  count(route?: string): number {
    return route ? this.requests.filter((r) => r.route === route).length : this.requests.length;
  }

  /** Requests per route, e.g. `{ 'drive.changes.list': 1 }`. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.requests) out[r.route] = (out[r.route] ?? 0) + 1;
    return out;
  }

  clearLog(): void {
    this.requests.length = 0;
  }

  async listen(): Promise<string> {
    this.server = http.createServer((req, res) => {
      void this.dispatch(req, res);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return this.baseUrl;
  }

  /** Safe to call more than once (a test's own close, then its after-test cleanup). */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const receivedAt = Date.now();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = await readBody(req);
    const method = req.method ?? 'GET';
    let routeName = 'unknown';
    let answer: FakeResponse | 'network';
    const match = this.match(method, url.pathname, url.searchParams);
    if (!match) {
      answer = googleError(404, 'notFound', `No route for ${method} ${url.pathname}`);
    } else {
      routeName = match.route.name;
      const arrival = this.arrivals.get(routeName);
      this.arrivals.delete(routeName);
      arrival?.();
      const request: FakeRequest = {
        method,
        path: url.pathname,
        query: url.searchParams,
        params: match.params,
        headers: req.headers,
        body,
      };
      answer = this.authorize(match.route, req) ?? this.takeFailure(routeName) ?? (await safely(match.route.handler, request));
    }
    this.requests.push({
      route: routeName,
      method,
      path: url.pathname,
      query: queryObject(url.searchParams),
      status: answer === 'network' ? 0 : answer.status,
      at: Date.now(),
      receivedAt,
    });
    if (answer === 'network') {
      req.socket.destroy();
      return;
    }
    send(res, answer);
  }

  private match(method: string, path: string, query: URLSearchParams): { route: Route; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== method || (route.accepts && !route.accepts(query))) continue;
      const m = route.pattern.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((key, i) => (params[key] = decodeURIComponent(m[i + 1])));
      return { route, params };
    }
    return undefined;
  }

  private authorize(route: Route, req: http.IncomingMessage): FakeResponse | undefined {
    if (!route.auth) return undefined;
    const header = req.headers.authorization ?? '';
    const token = /^Bearer (.+)$/.exec(header)?.[1];
    if (token && this.isValidToken(token)) return undefined;
    const message = token
      ? 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.'
      : 'Request is missing required authentication credential.';
    return googleError(401, token ? 'authError' : 'required', message, {
      location: 'Authorization',
      locationType: 'header',
      headers: { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' },
    });
  }

  private takeFailure(route: string): FakeResponse | 'network' | undefined {
    const failure = this.failures.get(route)?.shift();
    if (failure === undefined || failure === 'network') return failure;
    const headers: Record<string, string> = {};
    if (failure.retryAfter !== undefined) headers['retry-after'] = failure.retryAfter;
    const reason = failure.reason ?? (failure.status >= 500 ? 'backendError' : 'failed');
    const message = failure.message ?? defaultMessage(failure.status, reason);
    const domain = failure.domain ?? (/RateLimit|Quota/i.test(reason) ? 'usageLimits' : 'global');
    return googleError(failure.status, reason, message, { domain, headers });
  }
}

function defaultMessage(status: number, reason: string): string {
  if (reason === 'userRateLimitExceeded') return 'User rate limit exceeded.';
  if (reason === 'rateLimitExceeded') return 'Rate Limit Exceeded';
  if (status === 429) return 'Resource has been exhausted (e.g. check quota).';
  if (status >= 500) return 'Backend Error';
  return `Request failed (${reason})`;
}

async function safely(handler: Handler, req: FakeRequest): Promise<FakeResponse> {
  try {
    return await handler(req);
  } catch (err) {
    return googleError(500, 'backendError', `fake handler crashed: ${(err as Error).message}`);
  }
}

function send(res: http.ServerResponse, answer: FakeResponse): void {
  const headers: Record<string, string> = { ...(answer.headers ?? {}) };
  let payload: Buffer | string = '';
  if (Buffer.isBuffer(answer.body) || typeof answer.body === 'string') {
    payload = answer.body;
    headers['content-type'] ??= 'application/octet-stream';
  } else if (answer.body !== undefined) {
    payload = JSON.stringify(answer.body);
    headers['content-type'] = 'application/json; charset=UTF-8';
  }
  headers['content-length'] = String(Buffer.byteLength(payload));
  res.writeHead(answer.status, headers);
  if (answer.stallAfterBytes !== undefined) {
    // The connection stays open and silent until the client gives up (or the server closes).
    res.write(Buffer.from(payload).subarray(0, answer.stallAfterBytes));
    return;
  }
  res.end(payload);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function queryObject(query: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key);
    out[key] = values.length === 1 ? values[0] : values;
  }
  return out;
}

/** Opaque page tokens: base64url JSON, like Google's tokens are opaque to clients. */
export function encodeToken(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeToken<T>(token: string): T | undefined {
  try {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as T;
  } catch {
    return undefined;
  }
}
