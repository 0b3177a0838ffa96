// Credentials encrypted at rest (AES-256-GCM, key from DOCSYNC_SECRET_KEY). Workflows only ever
// see the `ref`; activities decrypt on use (cached for a few seconds per process) and write
// refreshed tokens back.
import { createCipheriv, createDecipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import type { JsonObject } from '../core/contract.js';
import { AuthError, ConfigError } from '../core/errors.js';
import type { Queryable } from './db.js';

export interface CredentialRecord {
  ref: string;
  connector: string;
  userId: string;
  secrets: JsonObject;
}

/** Derives the 32-byte key: 64 hex chars or base64 of 32 bytes are used as is, anything else is hashed. */
export function secretKeyFrom(value: string | undefined): Buffer {
  if (!value) {
    throw new ConfigError('DOCSYNC_SECRET_KEY is not set: credentials cannot be encrypted or read', ['DOCSYNC_SECRET_KEY']);
  }
  if (/^[0-9a-f]{64}$/i.test(value)) return Buffer.from(value, 'hex');
  const b64 = Buffer.from(value, 'base64');
  if (b64.length === 32 && /^[A-Za-z0-9+/=_-]+$/.test(value)) return b64;
  return createHash('sha256').update(value, 'utf8').digest();
}

export function encryptSecrets(key: Buffer, secrets: JsonObject): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join('.');
}

export function decryptSecrets(key: Buffer, ciphertext: string): JsonObject {
  const [version, iv, tag, body] = ciphertext.split('.');
  if (version !== 'v1' || !iv || !tag || !body) throw new Error('credential ciphertext has an unknown format');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  try {
    const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as JsonObject;
  } catch {
    throw new ConfigError('credentials cannot be decrypted: DOCSYNC_SECRET_KEY differs from the key they were stored with', [
      'DOCSYNC_SECRET_KEY',
    ]);
  }
}

/**
 * How long a decrypted credential is reused in this process. Every batch and listing activity
 * prepares its connector; without the cache each paid a SELECT, an AES-GCM decryption and a JSON
 * parse. Short, because another process (a second worker, `docsync connect`) may replace the
 * secrets under the same ref: a replaced credential is picked up at most this late here.
 */
export const CREDENTIAL_CACHE_TTL_MS = 5_000;

interface CachedCredential {
  record: CredentialRecord;
  until: number;
}

/**
 * Decrypted credentials by database handle, then ref: every store on one pool shares (and
 * invalidates) the same entries. Held only in memory, never logged; a WeakMap so a closed engine's
 * pool takes its entries with it.
 */
const decrypted = new WeakMap<Queryable, Map<string, CachedCredential>>();

export class CredentialStore {
  private readonly cache: Map<string, CachedCredential>;

  constructor(
    private readonly db: Queryable,
    private readonly key: Buffer,
    private readonly ttlMs = CREDENTIAL_CACHE_TTL_MS,
  ) {
    let cache = decrypted.get(db);
    if (!cache) decrypted.set(db, (cache = new Map()));
    this.cache = cache;
  }

  async save(connector: string, userId: string, secrets: JsonObject, ref = `cred_${randomUUID()}`): Promise<string> {
    // Dropped before and after the write: a load racing with it must not keep the old secrets.
    this.cache.delete(ref);
    await this.db.query(
      `INSERT INTO credentials (ref, connector, user_id, ciphertext) VALUES ($1, $2, $3, $4)
       ON CONFLICT (ref) DO UPDATE SET ciphertext = EXCLUDED.ciphertext, updated_at = now()`,
      [ref, connector, userId, encryptSecrets(this.key, secrets)],
    );
    this.cache.delete(ref);
    return ref;
  }

  /** The decrypted credential, from this process's cache when it was read less than the TTL ago. */
  async load(ref: string): Promise<CredentialRecord> {
    if (this.ttlMs <= 0) return this.read(ref);
    const hit = this.cache.get(ref);
    const now = Date.now();
    if (hit && now < hit.until) return copyOf(hit.record);
    const record = await this.read(ref);
    this.cache.set(ref, { record: copyOf(record), until: now + this.ttlMs });
    this.dropExpired(now);
    return record;
  }

  /** Merges refreshed secrets (e.g. a new access token) into the stored ones. */
  async update(ref: string, patch: JsonObject): Promise<void> {
    // From the table, not the cache: another worker's patch of the last seconds must not be undone.
    const current = await this.read(ref);
    await this.save(current.connector, current.userId, { ...current.secrets, ...patch }, ref);
  }

  /** Keeps the cache at the credentials used within one TTL (a worker serves thousands of users). */
  private dropExpired(now: number): void {
    if (this.cache.size < 64) return;
    for (const [ref, entry] of this.cache) if (now >= entry.until) this.cache.delete(ref);
  }

  private async read(ref: string): Promise<CredentialRecord> {
    const result = await this.db.query<{ connector: string; user_id: string; ciphertext: string }>(
      'SELECT connector, user_id, ciphertext FROM credentials WHERE ref = $1',
      [ref],
    );
    const row = result.rows[0];
    if (!row) throw new AuthError(`no credentials stored under ref "${ref}"`);
    return { ref, connector: row.connector, userId: row.user_id, secrets: decryptSecrets(this.key, row.ciphertext) };
  }
}

/** Callers get their own secrets object: one that merges into it cannot change the cached entry. */
function copyOf(record: CredentialRecord): CredentialRecord {
  return { ...record, secrets: { ...record.secrets } };
}

/** The newest credential ref stored for this connector and user (reading a ref needs no key). */
export async function latestCredentialRefFor(db: Queryable, connector: string, userId: string): Promise<string | undefined> {
  const result = await db.query<{ ref: string }>(
    'SELECT ref FROM credentials WHERE connector = $1 AND user_id = $2 ORDER BY updated_at DESC LIMIT 1',
    [connector, userId],
  );
  return result.rows[0]?.ref;
}
