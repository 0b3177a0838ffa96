// Built-in extractors on real documents: every fixture's known words come out, damaged files
// fail with the library's message, unsupported types are skipped with a reason, caps hold.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnsupportedContentError } from '../../../src/core/errors.js';
import { extractText, type ExtractOptions } from '../../../src/extract/index.js';
import { FAILING_FIXTURES, fixturePath, TEXT_FIXTURES, ZIP_BOMB } from '../../fixtures/content-fixtures.js';
import { patchZipEntrySize } from './zip-patch.js';

const builtIn = (extra: Partial<ExtractOptions> = {}): ExtractOptions => ({ maxTextBytes: 1_000_000, tikaUrl: '', ...extra });

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'docsync-extract-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('built-in extraction of the fixture set', () => {
  it.each(TEXT_FIXTURES)('given $file, the known text comes out', async (fixture) => {
    const result = await extractText(fixturePath(fixture.file), fixture.mimeType, builtIn());
    for (const word of fixture.expect) expect(result.text).toContain(word);
    for (const word of fixture.absent ?? []) expect(result.text).not.toContain(word);
    expect(result.truncated).toBe(false);
    expect(result.mimeType).toBe(fixture.mimeType);
  });

  it.each(TEXT_FIXTURES)('given $file declared as octet-stream, sniffing or its name finds the type', async (fixture) => {
    const result = await extractText(
      fixturePath(fixture.file),
      'application/octet-stream',
      builtIn({ fileName: `folder/${fixture.file}` }),
    );
    expect(result.mimeType).toBe(fixture.mimeType);
    for (const word of fixture.expect) expect(result.text).toContain(word);
  });

  it('given a PDF declared as text/plain, the bytes win', async () => {
    const result = await extractText(fixturePath('report.pdf'), 'text/plain', builtIn());
    expect(result.mimeType).toBe('application/pdf');
    expect(result.text).toContain('platypus');
  });

  it.each(FAILING_FIXTURES.filter((f) => f.fails === 'corrupt'))(
    'given a damaged $file, a plain Error carries the extractor message',
    async (fixture) => {
      const error = await extractText(fixturePath(fixture.file), fixture.mimeType, builtIn()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(UnsupportedContentError);
      expect((error as Error).message).toMatch(/cannot extract text from .*(Invalid PDF structure|central directory)/);
    },
  );

  it('given a PNG image, extraction is refused as unsupported with a reason', async () => {
    await expect(extractText(fixturePath('image.png'), 'image/png', builtIn())).rejects.toThrow(UnsupportedContentError);
    await expect(extractText(fixturePath('image.png'), 'text/plain', builtIn())).rejects.toThrow(/image\/png/);
  });

  it('given binary bytes declared as text with no magic, it is refused as binary', async () => {
    const file = path.join(tmp, 'binary.txt');
    await fs.writeFile(file, Buffer.from([0x41, 0x00, 0x42, 0x00, 0x00, 0x07, 0x43]));
    await expect(extractText(file, 'text/plain', builtIn())).rejects.toThrow(/looks binary/);
  });

  it('given a Latin-1 text with its charset declared, it is decoded', async () => {
    const file = path.join(tmp, 'latin1.txt');
    await fs.writeFile(file, Buffer.from('caf\xe9 cr\xe8me', 'latin1'));
    const result = await extractText(file, 'text/plain; charset=ISO-8859-1', builtIn());
    expect(result.text).toBe('café crème');
  });
});

describe('caps', () => {
  it('given maxTextBytes smaller than the text, the text is cut on a character boundary and flagged', async () => {
    // "...café naïve 🦊": cut inside the 4-byte emoji must not leave half a character.
    const full = await fs.readFile(fixturePath('hello.txt'), 'utf8');
    const emojiAt = Buffer.byteLength(full.slice(0, full.indexOf('🦊')), 'utf8');
    const result = await extractText(fixturePath('hello.txt'), 'text/plain', builtIn({ maxTextBytes: emojiAt + 2 }));
    expect(result.truncated).toBe(true);
    expect(result.text).toBe(full.slice(0, full.indexOf('🦊')));
    expect(Buffer.byteLength(result.text, 'utf8')).toBeLessThanOrEqual(emojiAt + 2);
  });

  it.each(['report.pdf', 'letter.docx', 'message.eml', 'page.html'])(
    'given %s and a 12-byte cap, the result is truncated',
    async (file) => {
      const fixture = TEXT_FIXTURES.find((f) => f.file === file)!;
      const result = await extractText(fixturePath(file), fixture.mimeType, builtIn({ maxTextBytes: 12 }));
      expect(result.truncated).toBe(true);
      expect(Buffer.byteLength(result.text, 'utf8')).toBeLessThanOrEqual(12);
    },
  );

  it('given a 64 MiB log and a 1 KiB cap, only the prefix is read', async () => {
    const file = path.join(tmp, 'big.log');
    const line = 'a log line that repeats many many times\n';
    const handle = await fs.open(file, 'w');
    try {
      const chunk = Buffer.from(line.repeat(Math.ceil((1024 * 1024) / line.length)));
      for (let i = 0; i < 64; i++) await handle.write(chunk);
    } finally {
      await handle.close();
    }
    const before = process.memoryUsage().rss;
    const result = await extractText(file, 'text/plain', builtIn({ maxTextBytes: 1024 }));
    expect(result.truncated).toBe(true);
    expect(result.text.startsWith(line)).toBe(true);
    expect(process.memoryUsage().rss - before).toBeLessThan(32 * 1024 * 1024);
  });

  it('given a file over maxInputBytes for an in-memory extractor, it is refused as unsupported', async () => {
    await expect(extractText(fixturePath('report.pdf'), 'application/pdf', builtIn({ maxInputBytes: 100 }))).rejects.toThrow(
      /over the 100-byte cap/,
    );
  });

  it('given a DOCX that inflates past maxUnzippedBytes (zip bomb), it is refused before any library inflates it', async () => {
    const error = await extractText(fixturePath(ZIP_BOMB.file), ZIP_BOMB.mimeType, builtIn()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedContentError);
    expect((error as Error).message).toMatch(/zip bomb guard/);
  });

  it('given a zip bomb that lies about its sizes, inflation stops at the declared size and fails', async () => {
    const liar = path.join(tmp, 'liar.docx');
    await fs.writeFile(liar, patchZipEntrySize(await fs.readFile(fixturePath(ZIP_BOMB.file)), 'word/document.xml', 1000));
    const started = Date.now();
    const before = process.memoryUsage().rss;
    const error = await extractText(liar, ZIP_BOMB.mimeType, builtIn()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/too many bytes|corrupt/);
    console.log(
      `lying zip bomb refused in ${Date.now() - started} ms, RSS +${((process.memoryUsage().rss - before) / 2 ** 20).toFixed(1)} MiB`,
    );
  });

  it('given an aborted signal, extraction stops', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(extractText(fixturePath('report.pdf'), 'application/pdf', builtIn({ signal: controller.signal }))).rejects.toThrow(
      /abort/i,
    );
  });
});
