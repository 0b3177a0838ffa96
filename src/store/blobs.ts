// Content-addressed blob store: bodies stream to a temp file while hashed, then are renamed
// to <dir>/<sha256[0..2]>/<sha256>. Never holds a whole body in memory.
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UnsupportedContentError } from '../connectors/types.js';

export interface StoredBlob {
  sha256: string;
  size: number;
  path: string;
}

export class BlobStore {
  constructor(readonly dir: string) {}

  pathFor(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256: ${JSON.stringify(sha256)}`);
    return path.join(this.dir, sha256.slice(0, 2), sha256);
  }

  /** Streams `body` into the store. Over `maxBytes` → UnsupportedContentError, nothing kept. */
  async put(body: Readable | Buffer, options: { maxBytes: number; signal?: AbortSignal }): Promise<StoredBlob> {
    await fs.mkdir(path.join(this.dir, 'tmp'), { recursive: true });
    const tmp = path.join(this.dir, 'tmp', randomUUID());
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
    const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
    try {
      await pipeline(source, meter, createWriteStream(tmp), { signal: options.signal });
    } catch (err) {
      await fs.rm(tmp, { force: true });
      if (!Buffer.isBuffer(body)) body.destroy();
      throw err;
    }
    const sha256 = hash.digest('hex');
    const final = this.pathFor(sha256);
    await fs.mkdir(path.dirname(final), { recursive: true });
    await fs.rename(tmp, final);
    return { sha256, size, path: final };
  }

  async has(sha256: string): Promise<boolean> {
    return fs.access(this.pathFor(sha256)).then(() => true, () => false);
  }
}
