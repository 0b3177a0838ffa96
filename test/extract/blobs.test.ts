// The blob store: content-addressed, streaming, capped, and leaving nothing behind on failure.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnsupportedContentError } from '../../src/core/errors.js';
import { BlobStore } from '../../src/store/blobs.js';
import { stopAfterTest } from '../support/cleanup.js';

let dir: string;
let store: BlobStore;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'docsync-blobs-'));
  store = new BlobStore(dir);
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

async function filesUnder(root: string): Promise<string[]> {
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/** `total` bytes in 64 KiB chunks, generated on demand (never held whole). */
function generated(total: number, fill = 0x61): Readable {
  const chunk = Buffer.alloc(64 * 1024, fill);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return this.push(null);
      const size = Math.min(chunk.length, total - sent);
      sent += size;
      this.push(size === chunk.length ? chunk : chunk.subarray(0, size));
    },
  });
}

describe('blob store', () => {
  it('given a body, it is stored under its sha256 and found again', async () => {
    const blob = await store.put(Readable.from([Buffer.from('hello '), Buffer.from('blobs')]), { maxBytes: 1000 });
    expect(blob.sha256).toBe(sha256('hello blobs'));
    expect(blob.size).toBe(11);
    expect(blob.path).toBe(path.join(dir, blob.sha256.slice(0, 2), blob.sha256));
    expect(await fs.readFile(blob.path, 'utf8')).toBe('hello blobs');
    expect(await store.has(blob.sha256)).toBe(true);
    expect(await fs.readdir(store.tempDir)).toEqual([]);
  });

  it('given the same content twice, one blob exists', async () => {
    const a = await store.put(Buffer.from('same'), { maxBytes: 100 });
    const b = await store.put(Readable.from([Buffer.from('sa'), Buffer.from('me')]), { maxBytes: 100 });
    expect(b).toEqual(a);
    expect(await filesUnder(dir)).toEqual([a.path]);
  });

  it('given a body over maxBytes, it is refused as unsupported and nothing is kept', async () => {
    await expect(store.put(generated(10_000), { maxBytes: 4096 })).rejects.toThrow(UnsupportedContentError);
    await expect(store.put(Buffer.alloc(5000), { maxBytes: 4096 })).rejects.toThrow(/4096-byte download cap/);
    expect(await filesUnder(dir)).toEqual([]);
  });

  it('given a source that fails mid-stream, nothing is kept', async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(1024));
        this.destroy(new Error('connection reset by source'));
      },
    });
    await expect(store.put(failing, { maxBytes: 1e6 })).rejects.toThrow(/connection reset/);
    expect(await filesUnder(dir)).toEqual([]);
  });

  it('given an aborted download, nothing is kept', async () => {
    const controller = new AbortController();
    const slow = new Readable({ read() {} });
    slow.push(Buffer.alloc(1024));
    const pending = store.put(slow, { maxBytes: 1e6, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toThrow(/abort/i);
    expect(await filesUnder(dir)).toEqual([]);
  });

  it('given hostile names, paths come from the sha256 only and never leave the blob dir', async () => {
    for (const hostile of ['../../etc/passwd', '/etc/passwd', '..', 'a'.repeat(64) + '/../../x', 'A'.repeat(64), 'f'.repeat(63)]) {
      expect(() => store.pathFor(hostile)).toThrow(/not a sha256/);
      await expect(store.has(hostile)).rejects.toThrow(/not a sha256/);
    }
    // Bodies that look like paths or names change nothing: the blob lands at <dir>/<2 hex>/<64 hex>.
    for (const body of ['../../../../tmp/evil', '/etc/passwd', 'C:\\\\Windows\\\\evil.dll']) {
      const blob = await store.put(Buffer.from(body), { maxBytes: 1000 });
      expect(path.relative(dir, blob.path)).toMatch(/^[0-9a-f]{2}\/[0-9a-f]{64}$/);
    }
    for (const file of await filesUnder(dir)) expect(path.relative(dir, file).startsWith('..')).toBe(false);
  });

  it('given leftovers of a crashed write, sweepTemp removes the old ones', async () => {
    await fs.mkdir(store.tempDir, { recursive: true });
    const old = path.join(store.tempDir, 'left-behind');
    await fs.writeFile(old, 'partial');
    const past = new Date(Date.now() - 2 * 86_400_000);
    await fs.utimes(old, past, past);
    await fs.writeFile(path.join(store.tempDir, 'in-flight'), 'partial');
    expect(await store.sweepTemp()).toBe(1);
    expect(await fs.readdir(store.tempDir)).toEqual(['in-flight']);
  });

  it('given a 200 MB streamed body, RSS grows far less than the body', async () => {
    const total = 200 * 1024 * 1024;
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    stopAfterTest(() => clearInterval(sampler)); // when put() throws before the clearInterval below
    const started = performance.now();
    const blob = await store.put(generated(total), { maxBytes: total });
    const ms = performance.now() - started;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const growthMiB = (peak - baseline) / 2 ** 20;
    console.log(
      `200 MiB blob put: ${ms.toFixed(0)} ms (${(total / 2 ** 20 / (ms / 1000)).toFixed(0)} MiB/s), ` +
        `RSS baseline ${(baseline / 2 ** 20).toFixed(0)} MiB, peak growth ${growthMiB.toFixed(1)} MiB`,
    );
    expect(blob.size).toBe(total);
    expect((await fs.stat(blob.path)).size).toBe(total);
    expect(growthMiB).toBeLessThan(64);
  });
});
