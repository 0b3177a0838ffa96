// The plain-text extractor reads only the text cap of a large file and cuts UTF-8 on a character
// boundary before decoding (worker-memory figure): what it stores must be the same as before,
// the longest whole-character prefix within the cap, flagged truncated exactly when text was left out.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractText } from '../../../src/extract/index.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'q5-plain-cap-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function extract(name: string, bytes: Buffer, maxTextBytes: number, mimeType = 'text/plain') {
  const file = path.join(tmp, name);
  await fs.writeFile(file, bytes);
  return extractText(file, mimeType, { maxTextBytes, tikaUrl: '', fileName: name });
}

describe('plain text at the text cap', () => {
  it('cuts before a 3-byte character that straddles the cap, and flags it truncated', async () => {
    const result = await extract('euro.txt', Buffer.from(`${'a'.repeat(9)}€€€`), 10);
    expect(result.text).toBe('a'.repeat(9));
    expect(result.truncated).toBe(true);
  });

  it('keeps a file of exactly the cap whole, and one byte more is truncated', async () => {
    const exact = await extract('exact.txt', Buffer.from('x'.repeat(64)), 64);
    expect(exact).toMatchObject({ text: 'x'.repeat(64), truncated: false });
    const over = await extract('over.txt', Buffer.from('x'.repeat(65)), 64);
    expect(over).toMatchObject({ text: 'x'.repeat(64), truncated: true });
  });

  it('does not count a UTF-8 BOM against the cap', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const result = await extract('bom.txt', Buffer.concat([bom, Buffer.from('é'.repeat(8))]), 16);
    expect(result).toMatchObject({ text: 'é'.repeat(8), truncated: false });
  });

  it.each([
    { order: 'big-endian', bom: [0xfe, 0xff], swap: true },
    // FF FE is also an MPEG audio frame header: file-type says audio/mpeg, the BOM says text.
    { order: 'little-endian', bom: [0xff, 0xfe], swap: false },
  ])('still reads twice the cap of $order UTF-16, where one output byte takes two input bytes', async ({ bom, swap }) => {
    const units = Buffer.from('abcdefghij'.repeat(4), 'utf16le');
    const utf16 = Buffer.concat([Buffer.from(bom), swap ? units.swap16() : units]);
    const result = await extract('wide.txt', utf16, 32);
    expect(result).toMatchObject({ text: 'abcdefghij'.repeat(4).slice(0, 32), truncated: true });
  });

  it('reads little-endian UTF-16 with no declared type and no extension as plain text, not as MPEG audio', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Grüße aus Köln', 'utf16le')]);
    const result = await extract('notes', utf16, 1000, 'application/octet-stream');
    expect(result).toMatchObject({ text: 'Grüße aus Köln', truncated: false, mimeType: 'text/plain' });
  });

  it('stores a large file as the first cap bytes, from a read of the cap only', async () => {
    const big = Buffer.alloc(3 * 2 ** 20, 'line of a large log\n');
    const result = await extract('big.log', big, 2 ** 20);
    expect(Buffer.byteLength(result.text)).toBeLessThanOrEqual(2 ** 20);
    expect(result.text).toBe(big.subarray(0, 2 ** 20).toString('utf8'));
    expect(result.truncated).toBe(true);
  });
});
