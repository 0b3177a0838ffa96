// Push-notification state in Postgres (migration 007): provider account → user, the channels docsync
// created at a provider (Drive changes.watch, Gmail users.watch) with their expirations, and the
// deliveries already accepted. Shared by the webhook receiver (reads, replay checks) and the channel
// lifecycle (writes, renewals), on every worker and receiver of the deployment.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../core/errors.js';
import type { Queryable } from './db.js';

/**
 * The token docsync gives a provider with a channel and expects back on each notification
 * (Drive's X-Goog-Channel-Token): HMAC-SHA256 of channel id and user under the deployment's push
 * secret, base64url. Derived, never stored, so reading the database does not let anyone forge one.
 */
export function channelToken(secret: string, channelId: string, userId: string): string {
  if (secret.length < 16) throw new ConfigError('DOCSYNC_PUSH_SECRET must be at least 16 characters', ['DOCSYNC_PUSH_SECRET']);
  return createHmac('sha256', secret).update(`${channelId}\n${userId}`).digest('base64url');
}

/** Constant-time comparison of two strings (different lengths compare unequal without leaking where). */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Records which user a provider account belongs to (idempotent; the latest user wins). */
export async function registerSourceAccount(
  db: Queryable,
  account: { connector: string; accountId: string; userId: string },
): Promise<void> {
  await db.query(
    `INSERT INTO source_accounts (connector, account_id, user_id) VALUES ($1, $2, $3)
     ON CONFLICT (connector, account_id) DO UPDATE SET user_id = excluded.user_id, updated_at = now()
     WHERE source_accounts.user_id IS DISTINCT FROM excluded.user_id`,
    [account.connector, account.accountId, account.userId],
  );
}

/** The users a provider account belongs to (none when the account is unknown). */
export async function usersOfAccount(db: Queryable, connector: string, accountId: string): Promise<string[]> {
  const { rows } = await db.query<{ user_id: string }>(
    'SELECT user_id FROM source_accounts WHERE connector = $1 AND account_id = $2',
    [connector, accountId],
  );
  return rows.map((r) => r.user_id);
}

export interface PushChannel {
  channelId: string;
  connector: string;
  userId: string;
  /** The provider's id of the watched resource (Drive resourceId; Gmail: the topic). */
  resourceId?: string;
  expiresAt: Date;
  state: 'live' | 'stopped';
}

interface ChannelRecord {
  channel_id: string;
  connector: string;
  user_id: string;
  resource_id: string | null;
  expires_at: Date;
  state: 'live' | 'stopped';
}

const COLUMNS = 'channel_id, connector, user_id, resource_id, expires_at, state';

function toChannel(r: ChannelRecord): PushChannel {
  return {
    channelId: r.channel_id,
    connector: r.connector,
    userId: r.user_id,
    ...(r.resource_id !== null ? { resourceId: r.resource_id } : {}),
    expiresAt: r.expires_at,
    state: r.state,
  };
}

/** Inserts or replaces a channel (a renewal writes the new channel and stops the old one separately). */
export async function saveChannel(db: Queryable, channel: Omit<PushChannel, 'state'>): Promise<void> {
  await db.query(
    `INSERT INTO push_channels (channel_id, connector, user_id, resource_id, expires_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (channel_id) DO UPDATE
       SET resource_id = excluded.resource_id, expires_at = excluded.expires_at, state = 'live', updated_at = now()`,
    [channel.channelId, channel.connector, channel.userId, channel.resourceId ?? null, channel.expiresAt],
  );
}

/** The channel if it is live and not expired at `now`; undefined otherwise (unknown, stopped, expired). */
export async function liveChannel(db: Queryable, channelId: string, now = new Date()): Promise<PushChannel | undefined> {
  const { rows } = await db.query<ChannelRecord>(
    `SELECT ${COLUMNS} FROM push_channels WHERE channel_id = $1 AND state = 'live' AND expires_at > $2`,
    [channelId, now],
  );
  return rows[0] ? toChannel(rows[0]) : undefined;
}

/** The user's channels for a connector (live first, then by expiry). */
export async function channelsOfUser(db: Queryable, connector: string, userId: string): Promise<PushChannel[]> {
  const { rows } = await db.query<ChannelRecord>(
    `SELECT ${COLUMNS} FROM push_channels WHERE connector = $1 AND user_id = $2 ORDER BY state, expires_at DESC`,
    [connector, userId],
  );
  return rows.map(toChannel);
}

export async function stopChannelRecord(db: Queryable, channelId: string): Promise<void> {
  await db.query(`UPDATE push_channels SET state = 'stopped', updated_at = now() WHERE channel_id = $1`, [channelId]);
}

/**
 * Accepts a channel's message number once: true when it is higher than every number accepted before
 * for that channel (Drive's X-Goog-Message-Number increases per channel), false for a replay.
 */
export async function acceptMessageNumber(db: Queryable, channelId: string, messageNumber: bigint): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE push_channels SET last_message_number = $2 WHERE channel_id = $1 AND last_message_number < $2`,
    [channelId, messageNumber.toString()],
  );
  return rowCount === 1;
}

/** Records a delivery id once: true the first time, false for a replay (Pub/Sub messageId, ...). */
export async function firstDelivery(db: Queryable, source: string, deliveryId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'INSERT INTO push_deliveries (source, delivery_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    [source, deliveryId],
  );
  return rowCount === 1;
}

/** Forgets deliveries older than `before` (providers do not redeliver after days). */
export async function pruneDeliveries(db: Queryable, before: Date): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM push_deliveries WHERE received_at < $1', [before]);
  return rowCount ?? 0;
}

/**
 * Records a delivery id unless the same id was accepted within the last `windowSeconds`: true when
 * accepted (new, or last accepted longer ago), false for a repeat inside the window. For sources
 * whose notifications carry no nonce (Dropbox), where only a time window can tell a replay apart.
 */
export async function deliveryOutsideWindow(db: Queryable, source: string, deliveryId: string, windowSeconds: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO push_deliveries (source, delivery_id) VALUES ($1, $2)
     ON CONFLICT (source, delivery_id) DO UPDATE SET received_at = now()
       WHERE push_deliveries.received_at <= now() - make_interval(secs => $3)`,
    [source, deliveryId, windowSeconds],
  );
  return rowCount === 1;
}
