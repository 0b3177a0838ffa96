// Credentials encrypted at rest (AES-256-GCM, key from DOCSYNC_SECRET_KEY). Workflows only ever
// see the `ref`; activities decrypt on use and write refreshed tokens back.
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

export class CredentialStore {
  constructor(
    private readonly db: Queryable,
    private readonly key: Buffer,
  ) {}

  async save(connector: string, userId: string, secrets: JsonObject, ref = `cred_${randomUUID()}`): Promise<string> {
    await this.db.query(
      `INSERT INTO credentials (ref, connector, user_id, ciphertext) VALUES ($1, $2, $3, $4)
       ON CONFLICT (ref) DO UPDATE SET ciphertext = EXCLUDED.ciphertext, updated_at = now()`,
      [ref, connector, userId, encryptSecrets(this.key, secrets)],
    );
    return ref;
  }

  async load(ref: string): Promise<CredentialRecord> {
    const result = await this.db.query<{ connector: string; user_id: string; ciphertext: string }>(
      'SELECT connector, user_id, ciphertext FROM credentials WHERE ref = $1',
      [ref],
    );
    const row = result.rows[0];
    if (!row) throw new AuthError(`no credentials stored under ref "${ref}"`);
    return { ref, connector: row.connector, userId: row.user_id, secrets: decryptSecrets(this.key, row.ciphertext) };
  }

  /** Merges refreshed secrets (e.g. a new access token) into the stored ones. */
  async update(ref: string, patch: JsonObject): Promise<void> {
    const current = await this.load(ref);
    await this.save(current.connector, current.userId, { ...current.secrets, ...patch }, ref);
  }
}

/** The newest credential ref stored for this connector and user (reading a ref needs no key). */
export async function latestCredentialRefFor(db: Queryable, connector: string, userId: string): Promise<string | undefined> {
  const result = await db.query<{ ref: string }>(
    'SELECT ref FROM credentials WHERE connector = $1 AND user_id = $2 ORDER BY updated_at DESC LIMIT 1',
    [connector, userId],
  );
  return result.rows[0]?.ref;
}
