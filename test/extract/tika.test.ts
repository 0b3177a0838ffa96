// The same fixture set through a real Apache Tika server (src/devstack/tika.ts). No skipping: when
// Java or Maven cannot provide the server, beforeAll throws and the whole suite fails.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnsupportedContentError } from '../../src/core/errors.js';
import { extractText, type ExtractOptions } from '../../src/extract/index.js';
import { startTika, type TikaServer } from '../../src/devstack/tika.js';
import { FAILING_FIXTURES, fixturePath, TEXT_FIXTURES, ZIP_BOMB } from '../fixtures/content-fixtures.js';

let tika: TikaServer;
const viaTika = (extra: Partial<ExtractOptions> = {}): ExtractOptions => ({ maxTextBytes: 1_000_000, tikaUrl: tika.url, ...extra });

beforeAll(async () => {
  tika = await startTika();
  console.log(`${tika.version} answered GET /version ${tika.startupMs} ms after java started (${tika.url})`);
}, 180_000);

afterAll(async () => {
  await tika?.stop();
});

describe('extraction through Apache Tika', () => {
  it.each(TEXT_FIXTURES)('given $file, the known text comes out', async (fixture) => {
    const result = await extractText(fixturePath(fixture.file), fixture.mimeType, viaTika());
    for (const word of fixture.expect) expect(result.text).toContain(word);
    for (const word of fixture.absent ?? []) expect(result.text).not.toContain(word);
    expect(result.truncated).toBe(false);
  });

  it.each(FAILING_FIXTURES.filter((f) => f.fails === 'corrupt'))('given a damaged $file, the call fails', async (fixture) => {
    const error = await extractText(fixturePath(fixture.file), fixture.mimeType, viaTika()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/Tika/);
  });

  it('given a PNG with no text, it is unsupported', async () => {
    await expect(extractText(fixturePath('image.png'), 'image/png', viaTika())).rejects.toThrow(UnsupportedContentError);
  });

  it('given a 12-byte cap, the text is truncated and flagged', async () => {
    const result = await extractText(fixturePath('report.pdf'), 'application/pdf', viaTika({ maxTextBytes: 12 }));
    expect(result).toMatchObject({ truncated: true, text: 'Quarterly re' });
  });

  it('given the zip bomb, Tika refuses it without the worker running out of memory', async () => {
    const before = process.memoryUsage().rss;
    const error = await extractText(fixturePath(ZIP_BOMB.file), ZIP_BOMB.mimeType, viaTika()).catch((e: unknown) => e);
    // Tika either refuses (422) or returns text we cap; our process never inflates anything.
    if (error) expect(error).toBeInstanceOf(Error);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
  });
});
