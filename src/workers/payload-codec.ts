// Optional end-to-end encryption of Temporal payloads (workflow inputs, results, signals, queries)
// with AES-256-GCM under DOCSYNC_PAYLOAD_KEY: the Temporal server and its database see ciphertext.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { ConfigError } from '../core/errors.js';
import { secretKeyFrom } from '../store/credentials.js';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class AesGcmPayloadCodec implements PayloadCodec {
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    // A fingerprint, not the key: names which key encrypted a payload, so a wrong key fails clearly.
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 16);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', this.key, iv);
      const plain = Buffer.from(JSON.stringify(toJson(payload)));
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { encoding: encoder.encode(ENCRYPTED_ENCODING), 'encryption-key-id': encoder.encode(this.keyId) }, data };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (decoder.decode(payload.metadata?.encoding ?? new Uint8Array()) !== ENCRYPTED_ENCODING) return payload;
      const keyId = decoder.decode(payload.metadata?.['encryption-key-id'] ?? new Uint8Array());
      if (keyId !== this.keyId) {
        throw new ConfigError(`payload was encrypted with key ${keyId || '(unknown)'}, but DOCSYNC_PAYLOAD_KEY is key ${this.keyId}`, [
          'DOCSYNC_PAYLOAD_KEY',
        ]);
      }
      const data = Buffer.from(payload.data ?? new Uint8Array());
      const decipher = createDecipheriv('aes-256-gcm', this.key, data.subarray(0, 12));
      decipher.setAuthTag(data.subarray(data.length - 16));
      const plain = Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]);
      return fromJson(JSON.parse(plain.toString('utf8')));
    });
  }
}

/** The Web UI codec-server wire form: metadata values and data in base64. */
export interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const b64 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('base64');

export function toJson(payload: Payload): JsonPayload {
  const metadata = Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, b64(v)]));
  return { metadata, data: b64(payload.data) };
}

export function fromJson(json: JsonPayload): Payload {
  const metadata = Object.fromEntries(Object.entries(json.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]));
  return { metadata, data: new Uint8Array(Buffer.from(json.data ?? '', 'base64')) };
}

/** The codec for DOCSYNC_PAYLOAD_KEY, or none when it is unset (payloads stay plain JSON). */
export function payloadCodecFromEnv(env: NodeJS.ProcessEnv = process.env): AesGcmPayloadCodec | undefined {
  const value = env.DOCSYNC_PAYLOAD_KEY;
  return value ? new AesGcmPayloadCodec(secretKeyFrom(value)) : undefined;
}
