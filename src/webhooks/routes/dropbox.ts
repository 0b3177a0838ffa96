// The Dropbox webhook endpoint (/dropbox): answers the verification GET ?challenge=… and accepts a
// change notification only when X-Dropbox-Signature is the HMAC-SHA256 of the raw body under the
// app secret. A notification only says "these accounts changed": each known account wakes its
// users' syncs, nothing else from the body is used.
import { createHmac } from 'node:crypto';
import type { Pool } from 'pg';
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import { deliveryOutsideWindow, sameSecret, usersOfAccount } from '../../store/push.js';
import { accepted, refuse, type WakeTarget, type WebhookOutcome, type WebhookRequest, type WebhookRoute } from '../route.js';

/**
 * Dropbox signs no nonce or timestamp, and every notification for the same accounts has the same
 * body, so a replay is byte-identical to a genuine repeat. A signature accepted within this window
 * is refused (409, nothing woken); a genuine repeat inside it is not lost: Dropbox retries non-200
 * answers with backoff (first retry after about a second), and the interval poll stays as the
 * safety net. Short on purpose: a longer window only delays the next genuine change (a 60 s
 * window put a repeat behind ~63 s of retries; with 3 s, edits 1.2 s apart met 244 refusals for 50
 * notifications and the consumer's p50 was 2.03 s in the freshness figure), while a replay outside
 * it can at most wake one sync that lists nothing new (a no-change listing is one request, no writes).
 */
export const DEFAULT_REPLAY_WINDOW_SECONDS = 1;

/** Dropbox's challenge is a short random string; anything far longer is not Dropbox. */
const MAX_CHALLENGE_LENGTH = 512;

// Only what docsync reads is checked; other fields (delta.users, future ones) pass through unread.
const notificationSchema = z.object({
  list_folder: z.object({ accounts: z.array(z.string().min(1).max(256)).max(100_000) }).optional(),
});

export interface DropboxRouteOptions {
  pool: Pool;
  /** The app secret of the Dropbox app (the key of X-Dropbox-Signature). Never logged. */
  appSecret: string;
  replayWindowSeconds?: number;
}

/** Hex HMAC-SHA256 of the raw body under the app secret, as Dropbox computes X-Dropbox-Signature. */
export function dropboxSignature(appSecret: string, body: Buffer | string): string {
  return createHmac('sha256', appSecret).update(body).digest('hex');
}

function challenge(request: WebhookRequest): WebhookOutcome {
  const value = request.query.get('challenge');
  if (!value) return refuse(400, 'expected ?challenge=');
  if (value.length > MAX_CHALLENGE_LENGTH) return refuse(400, 'challenge too long');
  // text/plain + nosniff, as Dropbox asks: an echoed parameter must never be rendered as HTML.
  return {
    response: { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }, body: value },
  };
}

function signatureOf(request: WebhookRequest): string | undefined {
  const header = request.headers['x-dropbox-signature'];
  const value = Array.isArray(header) ? undefined : header?.trim().toLowerCase();
  return value && /^[0-9a-f]{64}$/.test(value) ? value : undefined;
}

function parse(body: Buffer): z.infer<typeof notificationSchema> | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = notificationSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

export function dropboxRoute(options: DropboxRouteOptions): WebhookRoute {
  const { pool, appSecret } = options;
  const windowSeconds = options.replayWindowSeconds ?? DEFAULT_REPLAY_WINDOW_SECONDS;

  async function notification(request: WebhookRequest): Promise<WebhookOutcome> {
    const signature = signatureOf(request);
    if (!signature) return refuse(403, 'missing or malformed X-Dropbox-Signature');
    if (!sameSecret(signature, dropboxSignature(appSecret, request.body))) return refuse(403, 'bad signature');
    const notice = parse(request.body);
    if (!notice) return refuse(400, 'not a Dropbox notification');
    if (!(await deliveryOutsideWindow(pool, 'dropbox', signature, windowSeconds))) return refuse(409, 'notification already received');
    const accounts = [...new Set(notice.list_folder?.accounts ?? [])];
    const users = new Set((await Promise.all(accounts.map((account) => usersOfAccount(pool, 'dropbox', account)))).flat());
    // Unknown accounts get 200 too: a refusal would only make Dropbox retry for ten minutes.
    return accepted([...users].map((userId): WakeTarget => ({ connector: 'dropbox', userId })));
  }

  return {
    prefix: '/dropbox',
    async handle(request) {
      if (request.path !== '' && request.path !== '/') return refuse(404, 'no such endpoint');
      if (request.method === 'GET') return challenge(request);
      if (request.method === 'POST') return notification(request);
      const outcome = refuse(405, 'GET ?challenge= or POST');
      outcome.response.headers = { ...outcome.response.headers, allow: 'GET, POST' };
      return outcome;
    },
  };
}

const envSchema = z.object({
  DOCSYNC_DROPBOX_APP_SECRET: z.string().min(1).optional(),
  DOCSYNC_DROPBOX_REPLAY_WINDOW_SECONDS: z.coerce.number().int().positive().default(DEFAULT_REPLAY_WINDOW_SECONDS),
});

/** The /dropbox route when DOCSYNC_DROPBOX_APP_SECRET is set (none otherwise). */
export function dropboxRoutesFromEnv(pool: Pool, env: NodeJS.ProcessEnv): WebhookRoute[] {
  const result = envSchema.safeParse({
    DOCSYNC_DROPBOX_APP_SECRET: env.DOCSYNC_DROPBOX_APP_SECRET || undefined,
    DOCSYNC_DROPBOX_REPLAY_WINDOW_SECONDS: env.DOCSYNC_DROPBOX_REPLAY_WINDOW_SECONDS || undefined,
  });
  if (!result.success) {
    // Only the variable names and zod's messages: never the secret's value.
    const fields = result.error.issues.map((i) => i.path.join('.'));
    throw new ConfigError(
      `invalid webhook settings: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      fields,
    );
  }
  const { DOCSYNC_DROPBOX_APP_SECRET: appSecret, DOCSYNC_DROPBOX_REPLAY_WINDOW_SECONDS: replayWindowSeconds } = result.data;
  return appSecret ? [dropboxRoute({ pool, appSecret, replayWindowSeconds })] : [];
}
