// Dropbox's side of webhooks, the way Dropbox sends them: the verification GET ?challenge=… when an
// app registers its URI, and change notifications POSTed as JSON
// {"list_folder":{"accounts":[…]},"delta":{"users":[…]}} signed with X-Dropbox-Signature, the hex
// HMAC-SHA256 of the raw body under the app secret.
import { createHmac, randomBytes } from 'node:crypto';

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
