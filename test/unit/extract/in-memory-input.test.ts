// Extraction from a small staged body held in memory must match extraction from the file: the
// same detected type, text, truncation and errors. Every case is staged through a real BlobStore
// (streamed in 1,000-byte chunks), then extracted from the temp file and from `StagedBlob.bytes`.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractText, type ExtractInput, type ExtractOptions } from '../../../src/extract/index.js';
import { BlobStore, SMALL_BODY_BYTES, type StagedBlob } from '../../../src/store/blobs.js';
import { FAILING_FIXTURES, fixturePath, TEXT_FIXTURES, ZIP_BOMB } from '../../fixtures/content-fixtures.js';

interface Case {
  name: string;
  body: Buffer;
  mimeType: string;
  /** Detected as a text format, HTML or e-mail: the in-memory path must not touch the file at all. */
  textual: boolean;
}

const TEXTUAL_FIXTURES = new Set(['hello.txt', 'notes.md', 'table.csv', 'data.json', 'page.html', 'message.eml']);
const fixtureCases = async (): Promise<Case[]> =>
  Promise.all(
    [...TEXT_FIXTURES, ...FAILING_FIXTURES, ZIP_BOMB].map(async (f) => ({
      name: f.file,
      body: await fs.readFile(fixturePath(f.file)),
      mimeType: f.mimeType,
      textual: TEXTUAL_FIXTURES.has(f.file),
    })),
  );

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
/** `size` bytes of UTF-8 text with a 3-byte character wherever it falls, so caps can cut inside one. */
const textOf = (size: number) => Buffer.from('line €\n'.repeat(Math.ceil(size / 9))).subarray(0, size);
const generatedCases: Case[] = [
  { name: 'empty.txt', body: Buffer.alloc(0), mimeType: 'text/plain', textual: true },
  { name: 'bom.txt', body: Buffer.concat([BOM, Buffer.from('é with a byte-order mark')]), mimeType: 'text/plain', textual: true },
  { name: 'exact-64k.txt', body: textOf(SMALL_BODY_BYTES), mimeType: 'text/plain', textual: true },
  { name: 'over-64k.txt', body: textOf(SMALL_BODY_BYTES + 1), mimeType: 'text/plain', textual: true },
  { name: 'binary.txt', body: Buffer.from([0x41, 0x00, 0x42, 0x00, 0x07]), mimeType: 'text/plain', textual: true },
  { name: 'latin1.txt', body: Buffer.from('caf\xe9 cr\xe8me', 'latin1'), mimeType: 'text/plain; charset=ISO-8859-1', textual: true },
  {
    name: 'utf16be.txt',
    body: Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('wide text '.repeat(20), 'utf16le').swap16()]),
    mimeType: 'text/plain',
    textual: true,
  },
  {
    name: 'utf16le.txt',
    body: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('wide text '.repeat(20), 'utf16le')]),
    mimeType: 'text/plain',
    textual: true,
  },
  { name: 'big.html', body: Buffer.from(`<p>${'otters '.repeat(10_000)}</p>`), mimeType: 'text/html', textual: true },
];

type Outcome = { text: string; truncated: boolean; mimeType: string } | { error: string; name: string; message: string };
const outcome = (run: Promise<{ text: string; truncated: boolean; mimeType: string }>): Promise<Outcome> =>
  run.then(
    (r) => ({ text: r.text, truncated: r.truncated, mimeType: r.mimeType }),
    (e: Error) => ({ error: e.constructor.name, name: e.name, message: e.message }),
  );

const chunked = (body: Buffer, size = 1000) =>
  Readable.from(Array.from({ length: Math.ceil(body.length / size) }, (_, i) => body.subarray(i * size, (i + 1) * size)));

let tmp: string;
let blobs: BlobStore;
let cases: Case[];
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'docsync-in-memory-'));
  blobs = new BlobStore(tmp);
  cases = [...(await fixtureCases()), ...generatedCases];
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function staged(c: Case): Promise<StagedBlob> {
  return blobs.stage(chunked(c.body), { maxBytes: 10 * 2 ** 20 });
}

const variants: { label: string; options: (c: Case) => { declared: string; options: ExtractOptions } }[] = [
  { label: 'declared type', options: (c) => ({ declared: c.mimeType, options: { maxTextBytes: 1_000_000, tikaUrl: '' } }) },
  { label: '12-byte text cap', options: (c) => ({ declared: c.mimeType, options: { maxTextBytes: 12, tikaUrl: '' } }) },
  {
    label: 'octet-stream, named',
    options: (c) => ({ declared: 'application/octet-stream', options: { maxTextBytes: 1_000_000, tikaUrl: '', fileName: `a/${c.name}` } }),
  },
  {
    label: 'cap one byte under 64 KiB',
    options: (c) => ({ declared: c.mimeType, options: { maxTextBytes: SMALL_BODY_BYTES - 1, tikaUrl: '' } }),
  },
];

describe('staging keeps small bodies in memory', () => {
  it('keeps the whole body up to 64 KiB and nothing above it', async () => {
    for (const c of cases) {
      const blob = await staged(c);
      // Buffer.equals: the same byte-for-byte check as toEqual, without its per-element walk (seconds here).
      if (c.body.length <= SMALL_BODY_BYTES) expect(blob.bytes?.equals(c.body), c.name).toBe(true);
      else expect(blob.bytes, c.name).toBeUndefined();
      expect((await fs.readFile(blob.path)).equals(c.body), c.name).toBe(true);
      await blobs.discard([blob]);
    }
  });
});

describe('in-memory and file extraction agree', () => {
  it.each(variants)('for every fixture and edge case ($label)', async ({ options }) => {
    for (const c of cases) {
      const blob = await staged(c);
      try {
        const { declared, options: opts } = options(c);
        const fromFile = await outcome(extractText(blob.path, declared, opts));
        const inMemory = await outcome(extractText({ path: blob.path, bytes: blob.bytes }, declared, opts));
        expect(inMemory, c.name).toEqual(fromFile);
      } finally {
        await blobs.discard([blob]);
      }
    }
  });

  it('reads no file for text, HTML and e-mail bodies held in memory', async () => {
    const small = cases.filter((c) => c.textual && c.body.length <= SMALL_BODY_BYTES);
    expect(small.map((c) => c.name)).toEqual(expect.arrayContaining(['hello.txt', 'page.html', 'message.eml', 'exact-64k.txt']));
    for (const c of small) {
      const blob = await staged(c);
      const opts = { maxTextBytes: 1_000_000, tikaUrl: '', fileName: c.name };
      const fromFile = await outcome(extractText(blob.path, c.mimeType, opts));
      await blobs.discard([blob]); // the temp file is gone: only the bytes remain
      const gone: ExtractInput = { path: blob.path, bytes: blob.bytes };
      expect(await outcome(extractText(gone, c.mimeType, opts)), c.name).toEqual(fromFile);
    }
  });

  it('still reads the file for a PDF held in memory', async () => {
    const c = cases.find((x) => x.name === 'report.pdf')!;
    const blob = await staged(c);
    await blobs.discard([blob]);
    await expect(extractText({ path: blob.path, bytes: blob.bytes }, c.mimeType, { maxTextBytes: 1000, tikaUrl: '' })).rejects.toThrow(
      /ENOENT/,
    );
  });
});
