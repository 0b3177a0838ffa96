// The Tika client against a fake Tika on 127.0.0.1: the wire request (PUT /tika, Accept
// text/plain, streamed body), the status mapping, the timeout, and TIKA_URL selection.
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TransientError, UnsupportedContentError } from '../../src/core/errors.js';
import { extractText, TikaError } from '../../src/extract/index.js';
import { fixturePath } from '../fixtures/content-fixtures.js';

interface SeenRequest {
  method?: string;
  url?: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

type Reply = (res: http.ServerResponse) => void;
let reply: Reply;
let seen: SeenRequest[] = [];
let server: http.Server;
let url: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      reply(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  if (!server?.listening) return; // beforeAll failed before the server was up
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
afterEach(() => {
  seen = [];
  delete process.env.TIKA_URL;
});

const text =
  (status: number, body: string): Reply =>
  (res) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=UTF-8' });
    res.end(body);
  };

describe('Tika client', () => {
  it('given TIKA_URL, extractText streams the file to PUT /tika and returns the text', async () => {
    reply = text(200, 'text from the fake Tika\n');
    process.env.TIKA_URL = url;
    const result = await extractText(fixturePath('report.pdf'), 'application/pdf', {
      maxTextBytes: 1000,
      fileName: 'docs/report.pdf',
    });
    expect(result).toEqual({ text: 'text from the fake Tika', truncated: false, mimeType: 'application/pdf' });
    expect(seen).toHaveLength(1);
    expect(seen[0].method).toBe('PUT');
    expect(seen[0].url).toBe('/tika');
    expect(seen[0].headers.accept).toBe('text/plain');
    expect(seen[0].headers['content-type']).toBe('application/pdf');
    expect(seen[0].headers['content-disposition']).toBe('attachment; filename="report.pdf"');
    expect(seen[0].headers['transfer-encoding']).toBe('chunked'); // streamed, not buffered
    expect(seen[0].body.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('given the body in memory (a small staged blob), the request and the text are those of the file', async () => {
    reply = text(200, 'body text from the fake Tika\n');
    const file = fixturePath('message.eml');
    const options = { maxTextBytes: 1000, tikaUrl: url, fileName: 'mail/message.eml' };
    const fromFile = await extractText(file, 'application/octet-stream', options);
    const inMemory = await extractText({ path: file, bytes: await fs.readFile(file) }, 'application/octet-stream', options);
    expect(inMemory).toEqual(fromFile);
    expect(inMemory.mimeType).toBe('message/rfc822');
    expect(inMemory.text).toMatch(/^Subject: .+\n[\s\S]*body text from the fake Tika$/); // headers read from the bytes
    expect(seen).toHaveLength(2);
    expect(seen[1].headers).toMatchObject({ 'content-type': seen[0].headers['content-type'], 'transfer-encoding': 'chunked' });
    expect(seen[1].body).toEqual(seen[0].body); // the upload still streams the file
  });

  it('given an empty tikaUrl option, the built-ins run even when TIKA_URL is set', async () => {
    reply = text(200, 'fake');
    process.env.TIKA_URL = url;
    const result = await extractText(fixturePath('hello.txt'), 'text/plain', { maxTextBytes: 1000, tikaUrl: '' });
    expect(result.text).toContain('quick brown fox');
    expect(seen).toHaveLength(0);
  });

  it('given a long answer, only maxTextBytes are kept and the result is flagged truncated', async () => {
    reply = text(200, 'x'.repeat(1_000_000));
    const result = await extractText(fixturePath('hello.txt'), 'text/plain', { maxTextBytes: 100, tikaUrl: url });
    expect(result.truncated).toBe(true);
    expect(result.text).toBe('x'.repeat(100));
  });

  it.each([415, 422])('given HTTP %i, the document is unsupported', async (status) => {
    reply = text(status, 'Unprocessable: org.apache.tika.exception.TikaException: bad');
    const error = await extractText(fixturePath('report.pdf'), 'application/pdf', { maxTextBytes: 100, tikaUrl: url }).catch((e) => e);
    expect(error).toBeInstanceOf(UnsupportedContentError);
    expect(error.message).toContain(`HTTP ${status}`);
  });

  it('given HTTP 500, the error names Tika and the status', async () => {
    reply = text(500, 'java.lang.OutOfMemoryError');
    const error = await extractText(fixturePath('report.pdf'), 'application/pdf', { maxTextBytes: 100, tikaUrl: url }).catch((e) => e);
    expect(error).toBeInstanceOf(TikaError);
    expect(error.status).toBe(500);
    expect(error.message).toMatch(/^Tika returned HTTP 500 for application\/pdf: java.lang.OutOfMemoryError/);
  });

  it('given HTTP 503, the error is transient', async () => {
    reply = text(503, 'busy');
    await expect(extractText(fixturePath('report.pdf'), 'application/pdf', { maxTextBytes: 100, tikaUrl: url })).rejects.toThrow(
      TransientError,
    );
  });

  it('given a Tika that never answers, the timeout fails the call naming Tika', async () => {
    reply = () => undefined; // hold the response open
    const error = await extractText(fixturePath('report.pdf'), 'application/pdf', {
      maxTextBytes: 100,
      tikaUrl: url,
      tikaTimeoutMs: 300,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toMatch(/Tika at http:\/\/127\.0\.0\.1:\d+ did not finish within 300 ms/);
  });

  it('given no server at the URL, the error is transient and names Tika', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await extractText(fixturePath('report.pdf'), 'application/pdf', {
      maxTextBytes: 100,
      tikaUrl: `http://127.0.0.1:${port}`,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toBe(`Tika at http://127.0.0.1:${port} unreachable: ECONNREFUSED`);
  });

  it('given an image Tika finds no text in, it is unsupported', async () => {
    reply = text(200, '\n');
    await expect(extractText(fixturePath('image.png'), 'image/png', { maxTextBytes: 100, tikaUrl: url })).rejects.toThrow(
      /Tika found no text in image\/png/,
    );
  });
});
