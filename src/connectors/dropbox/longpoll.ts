// Dropbox files/list_folder/longpoll: waits on the notify host until the account has changes after
// a list_folder cursor, or the timeout passes. The SDK's filesListFolderLongpoll builds the request
// (no Authorization header, body {cursor, timeout}); it is sent with node:http(s) instead of Node's
// fetch, whose undici agent gives up waiting for response headers after 300 s, less than a 480 s
// poll plus the up to 90 s of jitter Dropbox adds to it.
import http from 'node:http';
import https from 'node:https';
import { Dropbox } from 'dropbox';
import type { ChangeWait, ConnectorContext } from '../../core/contract.js';
import { TransientError } from '../../core/errors.js';
import { toFetchHeaders } from '../shared/fetch-with-timeout.js';
import type { DropboxConfig } from './config.js';
import { CONNECTOR_NAME, DropboxApiError, toDocsyncError } from './errors.js';
import { resolveDropboxUrl, type SdkResponse } from './fetch.js';
import type { DropboxMilestone } from './listing.js';

/** Dropbox: "plus up to 90 seconds of random jitter added to avoid the thundering herd problem". */
const DROPBOX_JITTER_MS = 90_000;
/** Slack past timeout + jitter before the answer counts as lost (and the poll fails as transient). */
const ANSWER_SLACK_MS = 20_000;

/**
 * One long poll. Not passed through the credential's rate-limit gate or the app quota: the notify
 * host takes no credential, so the poll spends none of the user's or the app's request budget, and a
 * refusal there (429, or Dropbox's `backoff`) says nothing about the credential's API calls, which
 * must not be held for it. Dropbox throttles it with `backoff`, which the workflow honours.
 */
export async function waitForDropboxChanges(ctx: ConnectorContext<DropboxConfig>, milestone: DropboxMilestone): Promise<ChangeWait> {
  // Nothing listed yet (or an unreadable milestone): only a listing can tell what changed.
  if (!('cursor' in milestone)) return { changes: true };
  const timeout = ctx.config.longpollTimeoutSeconds;
  // No auth object with credentials: the SDK then neither refreshes a token nor sends one.
  const dbx = new Dropbox({
    fetch: longpollFetch({
      apiBaseUrl: ctx.config.apiBaseUrl,
      signal: ctx.signal,
      timeoutMs: timeout * 1000 + DROPBOX_JITTER_MS + ANSWER_SLACK_MS,
    }),
  });
  try {
    const { result } = await dbx.filesListFolderLongpoll({ cursor: milestone.cursor, timeout });
    return { changes: result.changes, ...(result.backoff ? { backoffMs: result.backoff * 1000 } : {}) };
  } catch (err) {
    if (ctx.signal.aborted) throw ctx.signal.reason ?? err; // cancelled (paused, syncNow): not a source failure
    const typed = toDocsyncError(err, { route: 'files/list_folder/longpoll', userId: ctx.userId, secrets: [] });
    // An invalid cursor: say "changes" so the next listing meets the reset and takes the normal reset path.
    if (typed instanceof DropboxApiError && typed.tag === 'reset') return { changes: true };
    throw typed;
  }
}

interface LongpollFetchOptions {
  apiBaseUrl?: string;
  signal: AbortSignal;
  timeoutMs: number;
}

/** The SDK's fetch for the notify host: one buffered exchange within timeoutMs, cancelled with the activity. */
function longpollFetch(options: LongpollFetchOptions) {
  return (url: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer | null } = {}) =>
    new Promise<SdkResponse>((resolve, reject) => {
      const target = new URL(resolveDropboxUrl(url, options.apiBaseUrl));
      const transport = target.protocol === 'http:' ? http : https;
      const fail = (message: string) => new TransientError(`dropbox files/list_folder/longpoll: ${message}`, { connector: CONNECTOR_NAME });
      const req = transport.request(target, { method: init.method ?? 'POST', headers: init.headers, signal: options.signal }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (chunk: Buffer) => parts.push(chunk));
        res.on('error', () => reject(fail('the answer was cut off')));
        res.on('end', () => {
          clearTimeout(deadline);
          const body = Buffer.concat(parts);
          const headers = toFetchHeaders(res.headers);
          const status = res.statusCode ?? 0;
          resolve({
            ok: status >= 200 && status < 300,
            status,
            statusText: res.statusMessage ?? '',
            headers,
            text: async () => body.toString('utf8'),
            json: async () => JSON.parse(body.toString('utf8')) as unknown,
            buffer: async () => body,
          });
        });
      });
      const deadline = setTimeout(() => req.destroy(fail(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
      req.on('error', (err) => {
        clearTimeout(deadline);
        reject(options.signal.aborted ? (options.signal.reason ?? err) : err instanceof TransientError ? err : fail(err.message));
      });
      req.end(init.body ?? undefined);
    });
}
