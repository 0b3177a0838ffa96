// Content-addressed blob store: bodies stream to a temp file while hashed, then are renamed
// to <dir>/<sha256[0..2]>/<sha256>. Never holds a whole body in memory. Paths are derived
// from the sha256 alone (never from a document's name), so no source name can escape `dir`.
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UnsupportedContentError } from '../core/errors.js';

export interface StoredBlob {
  sha256: string;
  size: number;
  path: string;
}

const SHA256 = /^[0-9a-f]{64}$/;

export class BlobStore {
  constructor(readonly dir: string) {}

  /** Temp files live inside `dir` so the final rename stays on one filesystem (atomic). */
  get tempDir(): string {
    return path.join(this.dir, 'tmp');
  }

  pathFor(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`not a sha256: ${JSON.stringify(sha256)}`);
    return path.join(this.dir, sha256.slice(0, 2), sha256);
  }

  /** Streams `body` into the store. Over `maxBytes` → UnsupportedContentError, nothing kept. */
  async put(body: Readable | Buffer, options: { maxBytes: number; signal?: AbortSignal }): Promise<StoredBlob> {
    const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
    if (Buffer.isBuffer(body) && body.length > options.maxBytes) {
      throw new UnsupportedContentError(`content of ${body.length} bytes exceeds the ${options.maxBytes}-byte download cap`);
    }
    await fs.mkdir(this.tempDir, { recursive: true });
    const tmp = path.join(this.tempDir, randomUUID());
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > options.maxBytes) {
          done(new UnsupportedContentError(`content exceeds the ${options.maxBytes}-byte download cap`));
          return;
        }
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      // flush: the data is on disk before the rename makes it visible under its hash.
      await pipeline(source, meter, createWriteStream(tmp, { flush: true }), { signal: options.signal });
      const sha256 = hash.digest('hex');
      const final = this.pathFor(sha256);
      await fs.mkdir(path.dirname(final), { recursive: true });
      await fs.rename(tmp, final); // same content under the same name: replacing is harmless
      return { sha256, size, path: final };
    } catch (err) {
      await fs.rm(tmp, { force: true });
      source.destroy();
      throw err;
    }
  }

  async has(sha256: string): Promise<boolean> {
    return fs.access(this.pathFor(sha256)).then(
      () => true,
      () => false,
    );
  }

  /** Removes temp files left by a process that died mid-write (older than `olderThanMs`). */
  async sweepTemp(olderThanMs = 24 * 60 * 60 * 1000): Promise<number> {
    const names = await fs.readdir(this.tempDir).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      const file = path.join(this.tempDir, name);
      const stat = await fs.stat(file).catch(() => undefined);
      if (stat && Date.now() - stat.mtimeMs > olderThanMs) {
        await fs.rm(file, { force: true });
        removed++;
      }
    }
    return removed;
  }
}
