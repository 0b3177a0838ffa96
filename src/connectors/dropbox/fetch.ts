// The `fetch` handed to the Dropbox SDK. The SDK's own node-fetch path has no timeout and
// hangs on cut-off bodies, expects node-fetch's `buffer()`, and always targets the
// *.dropboxapi.com hosts; this wrapper fixes all three
// (dropbox 10.34: a cut-off download never resolves on its node-fetch 2.7 path).
import { fetchBuffered } from '../shared/fetch-with-timeout.js';

export const DROPBOX_HOSTS = ['api.dropboxapi.com', 'content.dropboxapi.com', 'notify.dropboxapi.com'] as const;

export interface DropboxFetchOptions {
  timeoutMs: number;
  apiBaseUrl?: string;
  /** Caller cancellation; leave unset for the shared auth object (refreshes outlive one call). */
  signal?: AbortSignal;
}

/** What the SDK reads from a response (node-fetch 2 shape). */
export interface SdkResponse {
  ok: boolean;
  status: number;
  statusText: string;
  headers: Headers;
  text(): Promise<string>;
  json(): Promise<unknown>;
  buffer(): Promise<Buffer>;
}

interface SdkRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer | null;
}

export function createDropboxFetch(options: DropboxFetchOptions): (url: string, init?: SdkRequestInit) => Promise<SdkResponse> {
  return async (url, init = {}) => {
    const res = await fetchBuffered(
      resolveDropboxUrl(url, options.apiBaseUrl),
      { method: init.method ?? 'POST', headers: init.headers, body: toBodyInit(init.body) },
      { timeoutMs: options.timeoutMs, signal: options.signal, label: `dropbox ${dropboxRoute(url)}` },
    );
    return {
      ok: res.ok,
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
      text: async () => res.body.toString('utf8'),
      json: async () => JSON.parse(res.body.toString('utf8')) as unknown,
      buffer: async () => res.body,
    };
  };
}

function toBodyInit(body: SdkRequestInit['body']): BodyInit | undefined {
  if (body === null || body === undefined) return undefined;
  return typeof body === 'string' ? body : new Uint8Array(body);
}

/** Maps the three Dropbox API hosts onto apiBaseUrl (tests); other URLs pass through. */
export function resolveDropboxUrl(url: string, apiBaseUrl?: string): string {
  if (!apiBaseUrl) return url;
  const parsed = new URL(url);
  if (!(DROPBOX_HOSTS as readonly string[]).includes(parsed.hostname)) return url;
  return `${apiBaseUrl.replace(/\/+$/, '')}${parsed.pathname}${parsed.search}`;
}

/** "files/list_folder", "oauth2/token": safe to log (no host, no query string). */
export function dropboxRoute(url: string): string {
  try {
    return new URL(url).pathname.replace(/^\/(2\/)?/, '');
  } catch {
    return 'request';
  }
}

/** Dropbox-API-Arg must be ASCII: JSON with every non-ASCII UTF-16 unit escaped as \uXXXX. */
export function headerSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
