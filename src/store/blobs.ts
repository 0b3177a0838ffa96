// Content-addressed blob store: bodies stream to a temp file while hashed, then are renamed
// to <dir>/<sha256[0..2]>/<sha256>. Never holds a whole body over 64 KiB in memory. Paths are derived
// from the sha256 alone (never from a document's name), so no source name can escape `dir`.
// Writing is two steps so a batch pays for durability once: `stage` writes and hashes without
// flushing, `persist` fsyncs a whole batch's files together, renames them and syncs their folders.
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { addAbortSignal, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UnsupportedContentError } from '../core/errors.js';

export interface StoredBlob {
  sha256: string;
  size: number;
  path: string;
}

/** Written and hashed, not yet durable nor under its hash: `path` is a temp file (readable, e.g. for extraction). */
export interface StagedBlob extends StoredBlob {
  staged: true;
  /** The whole body, when it is at most SMALL_BODY_BYTES: extraction reads it instead of the temp file. */
  bytes?: Buffer;
}

/**
 * Bodies up to this size stay in memory while staged (a batch of 25 holds at most 1.6 MiB), so the
 * extract step does not open and read back the file just written. Larger bodies keep nothing, not
 * even a head: type sniffing (`file-type`) may read far past any fixed head (it walks zip entries and
 * skips ID3 tags), so only a whole body sniffs exactly like the file.
 */
export const SMALL_BODY_BYTES = 64 * 1024;

const SHA256 = /^[0-9a-f]{64}$/;

export class BlobStore {
  /** Folders known to exist (temp dir and fan-out dirs), so a put costs no mkdir. */
  private readonly made = new Map<string, Promise<unknown>>();

  constructor(readonly dir: string) {}

  /** Temp files live inside `dir` so the final rename stays on one filesystem (atomic). */
  get tempDir(): string {
    return path.join(this.dir, 'tmp');
  }

  pathFor(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`not a sha256: ${JSON.stringify(sha256)}`);
    return path.join(this.dir, sha256.slice(0, 2), sha256);
  }

  /** Streams `body` into the store, durably. Over `maxBytes` → UnsupportedContentError, nothing kept. */
  async put(body: Readable | Buffer, options: { maxBytes: number; signal?: AbortSignal }): Promise<StoredBlob> {
    const [stored] = await this.persist([await this.stage(body, options)]);
    return stored;
  }

  /** Streams `body` to a temp file while hashing it; nothing is flushed yet. Over `maxBytes` → UnsupportedContentError. */
  async stage(body: Readable | Buffer, options: { maxBytes: number; signal?: AbortSignal }): Promise<StagedBlob> {
    if (Buffer.isBuffer(body) && body.length > options.maxBytes) {
      throw new UnsupportedContentError(`content of ${body.length} bytes exceeds the ${options.maxBytes}-byte download cap`);
    }
    const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
    if (options.signal) addAbortSignal(options.signal, source);
    await this.ensureDir(this.tempDir);
    const tmp = path.join(this.tempDir, randomUUID());
    const hash = createHash('sha256');
    let size = 0;
    const take = (chunk: Buffer) => {
      size += chunk.length;
      if (size > options.maxBytes) throw new UnsupportedContentError(`content exceeds the ${options.maxBytes}-byte download cap`);
      hash.update(chunk);
      return chunk;
    };
    const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    try {
      // Read up to SMALL_BODY_BYTES into memory first: a small body (most documents) is then written
      // with one writeFile, no write stream, and kept for extraction.
      const head: Buffer[] = [];
      for (let step = await chunks.next(); ; step = await chunks.next()) {
        if (step.done) {
          const bytes = Buffer.concat(head, size); // a copy: a chunk may be a view into a larger buffer the source still holds
          await fs.writeFile(tmp, bytes);
          return { sha256: hash.digest('hex'), size, path: tmp, staged: true, bytes };
        }
        head.push(take(step.value));
        if (size > SMALL_BODY_BYTES) break;
      }
      // A larger body: what was read, then the rest, streamed to the file.
      async function* rest(): AsyncGenerator<Buffer> {
        yield* head.splice(0);
        for (let step = await chunks.next(); !step.done; step = await chunks.next()) yield take(step.value);
      }
      await pipeline(rest(), createWriteStream(tmp), { signal: options.signal });
      return { sha256: hash.digest('hex'), size, path: tmp, staged: true };
    } catch (err) {
      await fs.rm(tmp, { force: true });
      source.destroy();
      throw err;
    }
  }

  /**
   * Makes staged blobs durable under their hash, all together: their data is fsynced (concurrently)
   * before the rename makes it visible, so a name never points at bytes a crash could lose, and the
   * folders that got a new entry are fsynced after, so the names survive a crash too. Call it before
   * committing the rows that point at these blobs.
   */
  async persist(blobs: StagedBlob[]): Promise<StoredBlob[]> {
    await Promise.all(blobs.map((b) => syncPath(b.path)));
    const stored = await Promise.all(
      blobs.map(async (b) => {
        const final = this.pathFor(b.sha256);
        await this.renameInto(b.path, final); // same content under the same name: replacing is harmless
        return { sha256: b.sha256, size: b.size, path: final };
      }),
    );
    await Promise.all([...new Set(stored.map((s) => path.dirname(s.path)))].map(syncPath));
    return stored;
  }

  /** Drops staged blobs no row will point at (skipped or broken content). */
  async discard(blobs: StagedBlob[]): Promise<void> {
    await Promise.all(blobs.map((b) => fs.rm(b.path, { force: true })));
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

  private async renameInto(from: string, to: string): Promise<void> {
    await this.ensureDir(path.dirname(to));
    try {
      await fs.rename(from, to);
    } catch (err) {
      // The folder was removed behind our back (e.g. a cleaned store): make it again once.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.made.delete(path.dirname(to));
      await this.ensureDir(path.dirname(to));
      await fs.rename(from, to);
    }
  }

  /** mkdir once per folder and process; a newly made fan-out folder also gets its parent synced. */
  private ensureDir(dir: string): Promise<unknown> {
    let made = this.made.get(dir);
    if (!made) {
      made = fs.mkdir(dir, { recursive: true }).then(async (created) => {
        if (created) await syncPath(path.dirname(dir));
      });
      made.catch(() => this.made.delete(dir));
      this.made.set(dir, made);
    }
    return made;
  }
}

/** fsync of a file's data or a folder's entries (Linux allows fsync on a read-only descriptor). */
async function syncPath(p: string): Promise<void> {
  const handle = await fs.open(p, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
