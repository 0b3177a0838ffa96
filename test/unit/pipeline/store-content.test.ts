// The content step on real files: a real BlobStore on a temp dir and the real built-in extractors.
// Given a body, it is stored under its sha256 and its text extracted; same bytes keep the stored text.
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractBuiltIn } from '../../../src/extract/index.js';
import { storeContent, type ContentDeps, type ContentRow } from '../../../src/pipeline/store-content.js';
import { BlobStore } from '../../../src/store/blobs.js';
import { fixturePath } from '../../fixtures/content-fixtures.js';

let dir: string;
let deps: ContentDeps;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'docsync-pipeline-'));
  deps = { blobs: new BlobStore(dir), extract: extractBuiltIn, limits: { maxBytes: 1_000_000, maxTextBytes: 100_000 } };
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const newRow = (facts: Partial<ContentRow> = {}): ContentRow => ({
  content_sha256: null,
  text: null,
  mime_type: null,
  path: null,
  title: 'untitled',
  ...facts,
});
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('storing and extracting one download', () => {
  it('given a PDF stream, the blob is staged, its text extracted, and persisting puts it under its sha256', async () => {
    const bytes = await fs.readFile(fixturePath('report.pdf'));
    const content = await storeContent(deps, newRow(), { body: createReadStream(fixturePath('report.pdf')), mimeType: 'application/pdf' });
    if (content.kind !== 'extracted') throw new Error(`expected extracted, got ${content.kind}`);
    expect(content.blob.sha256).toBe(sha256(bytes));
    expect(content.blob.size).toBe(bytes.length);
    expect(content.text).toContain('Quarterly report platypus');
    expect(content.truncated).toBe(false);
    const [stored] = await deps.blobs.persist([content.blob]);
    expect(stored.path).toBe(deps.blobs.pathFor(sha256(bytes)));
    expect(await fs.readFile(stored.path)).toEqual(bytes);
    await expect(fs.access(content.blob.path)).rejects.toThrow(); // the temp file was renamed
  });

  it('given a generic type, the row path names the file so Markdown is recognised', async () => {
    const body = await fs.readFile(fixturePath('notes.md'));
    const row = newRow({ path: '/docs/notes.md', mime_type: 'application/octet-stream' });
    const content = await storeContent(deps, row, { body, mimeType: '' });
    if (content.kind !== 'extracted') throw new Error(`expected extracted, got ${content.kind}`);
    expect(content.mimeType).toBe('application/octet-stream'); // the row's type when the source sent none
    expect(content.text).toContain('pelican');
  });

  it('given the bytes the row already holds with text, extraction is skipped', async () => {
    const body = Buffer.from('same words as before');
    const row = newRow({ content_sha256: sha256(body), text: 'same words as before' });
    const content = await storeContent(deps, row, { body, mimeType: 'text/plain' });
    expect(content.kind).toBe('same-bytes');
  });

  it('given text over the cap, it is cut and flagged truncated', async () => {
    deps.limits.maxTextBytes = 5;
    const content = await storeContent(deps, newRow(), { body: Buffer.from('hello world'), mimeType: 'text/plain' });
    expect(content).toMatchObject({ kind: 'extracted', text: 'hello', truncated: true });
  });

  it('given a zero-byte file, the text is empty without calling an extractor', async () => {
    const content = await storeContent(deps, newRow({ title: 'empty.pdf' }), { body: Buffer.alloc(0), mimeType: 'application/pdf' });
    expect(content).toMatchObject({ kind: 'extracted', text: '', truncated: false });
  });

  it('given a body over the download cap, it is skipped and nothing is kept', async () => {
    deps.limits.maxBytes = 4;
    const content = await storeContent(deps, newRow(), { body: Buffer.from('too large'), mimeType: 'text/plain' });
    expect(content).toMatchObject({ kind: 'skipped', reason: expect.stringContaining('4-byte download cap') });
    const files = await fs.readdir(dir, { recursive: true, withFileTypes: true });
    expect(files.filter((e) => e.isFile())).toEqual([]);
  });

  it('given an image, it is skipped with the unsupported type as the reason', async () => {
    const content = await storeContent(deps, newRow(), { body: await fs.readFile(fixturePath('image.png')), mimeType: 'image/png' });
    expect(content.kind).toBe('skipped');
  });

  it('given a corrupt PDF, it is broken (final, not retried) with the library message', async () => {
    const content = await storeContent(deps, newRow(), {
      body: await fs.readFile(fixturePath('corrupt.pdf')),
      mimeType: 'application/pdf',
    });
    expect(content).toMatchObject({ kind: 'broken', reason: expect.stringMatching(/^text extraction failed: ./) });
  });
});
