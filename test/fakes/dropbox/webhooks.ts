// Dropbox's side of webhooks, the way Dropbox sends them: the verification GET ?challenge=… when an
// app registers its URI, and change notifications POSTed as JSON
// {"list_folder":{"accounts":[…]},"delta":{"users":[…]}} signed with X-Dropbox-Signature, the hex
// HMAC-SHA256 of the raw body under the app secret; a non-200 answer or a timeout is retried with
// exponential backoff (Dropbox: for about ten minutes, then the failure shows in the App Console).
import { createHmac, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

export interface DropboxNotification {
  /** account_ids whose files changed (several users may share one notification). */
  accounts: string[];
  /** The legacy API v1 numeric user ids Dropbox still sends alongside. */
  users?: number[];
}

/** The body Dropbox POSTs, exactly as sent (its signature covers these bytes). */
export function dropboxNotificationBody(notification: DropboxNotification): string {
  const users = notification.users ?? notification.accounts.map((_, i) => 1000 + i);
  return JSON.stringify({ list_folder: { accounts: notification.accounts }, delta: { users } });
}

export function signDropboxBody(appSecret: string, body: string | Buffer): string {
  return createHmac('sha256', appSecret).update(body).digest('hex');
}

export interface SentWebhook {
  status: number;
  text: string;
  headers: Headers;
  body: string;
  signature: string;
}

/** POSTs a notification as Dropbox does; `body`/`signature` override what is sent (forgeries, replays). */
export async function sendDropboxWebhook(
  url: string,
  appSecret: string,
  notification: DropboxNotification,
  override: { body?: string; signature?: string | null } = {},
): Promise<SentWebhook> {
  const body = override.body ?? dropboxNotificationBody(notification);
  const signature = override.signature === undefined ? signDropboxBody(appSecret, body) : override.signature;
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'DropboxWebhooks/1.0' };
  if (signature !== null) headers['x-dropbox-signature'] = signature;
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text(), headers: res.headers, body, signature: signature ?? '' };
}

/** Re-sends a delivery byte for byte (what an attacker who captured one, or Dropbox's retry, sends). */
export async function replayDropboxWebhook(url: string, sent: Pick<SentWebhook, 'body' | 'signature'>): Promise<SentWebhook> {
  return sendDropboxWebhook(url, '', { accounts: [] }, { body: sent.body, signature: sent.signature });
}

/** The verification request Dropbox makes when the URI is added in the App Console. */
export async function verifyDropboxWebhookUri(
  url: string,
  challenge = randomBytes(16).toString('hex'),
): Promise<{ challenge: string; status: number; text: string; headers: Headers; verified: boolean }> {
  const res = await fetch(`${url}?challenge=${encodeURIComponent(challenge)}`, { headers: { 'user-agent': 'DropboxWebhooks/1.0' } });
  const text = await res.text();
  return { challenge, status: res.status, text, headers: res.headers, verified: res.status === 200 && text === challenge };
}

export interface RetryPolicy {
  /** Wait before the first retry (doubling after each), ms. */
  firstRetryMs?: number;
  /** Give up once this long has passed since the first attempt (Dropbox: about ten minutes), ms. */
  giveUpAfterMs?: number;
  /** An attempt without an answer within this long counts as failed, ms. */
  attemptTimeoutMs?: number;
}

/** Delivers one notification the way Dropbox does: retried until a 200 or until it gives up. */
export async function deliverDropboxWebhook(
  url: string,
  appSecret: string,
  notification: DropboxNotification,
  policy: RetryPolicy = {},
): Promise<{ delivered: boolean; statuses: Array<number | 'timeout'> }> {
  const { firstRetryMs = 1_000, giveUpAfterMs = 10 * 60_000, attemptTimeoutMs = 10_000 } = policy;
  const body = dropboxNotificationBody(notification);
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'DropboxWebhooks/1.0',
    'x-dropbox-signature': signDropboxBody(appSecret, body),
  };
  const statuses: Array<number | 'timeout'> = [];
  const start = Date.now();
  for (let wait = firstRetryMs; ; wait *= 2) {
    try {
      const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(attemptTimeoutMs) });
      await res.arrayBuffer();
      statuses.push(res.status);
      if (res.status === 200) return { delivered: true, statuses };
    } catch {
      statuses.push('timeout');
    }
    if (Date.now() + wait - start > giveUpAfterMs) return { delivered: false, statuses };
    await sleep(wait);
  }
}
