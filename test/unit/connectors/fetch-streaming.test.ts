// fetchStreaming over node:http against a local server that misbehaves on purpose: every way a
// body can go wrong ends in a TransientError naming it (no URL), a caller's abort rethrows its own
// reason, and a consumer that stops early lets the connection go.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import { TransientError } from '../../../src/core/errors.js';
import { fetchStreaming } from '../../../src/connectors/shared/fetch-with-timeout.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
let server: http.Server | undefined;
const closed: Promise<void>[] = [];

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function serve(handler: Handler): Promise<string> {
  server = http.createServer((req, res) => {
    closed.push(new Promise((resolve) => res.on('close', () => resolve())));
    handler(req, res);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/2/files/download?secret=s3cr3t`;
}

const options = { label: 'test download', headersTimeoutMs: 300, idleTimeoutMs: 300 };
const init = { method: 'POST', headers: { 'Dropbox-API-Arg': '{"path":"id:x"}' } };

async function failure(run: () => Promise<unknown>): Promise<Error> {
  const err = await run().then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(err).toBeInstanceOf(Error);
  expect(err!.message).not.toMatch(/s3cr3t|127\.0\.0\.1/);
  return err!;
}

describe('fetchStreaming', () => {
  it('streams the body with status, headers and progress', async () => {
    const url = await serve((req, res) => {
      res.writeHead(200, { 'Content-Length': '11', 'Dropbox-API-Result': '{"size":11}', 'Set-Cookie': ['a=1', 'b=2'] });
      res.end(`hello ${req.headers['dropbox-api-arg'] === init.headers['Dropbox-API-Arg'] ? 'world' : 'wrong'}`);
    });
    const progress: number[] = [];
    const res = await fetchStreaming(url, init, { ...options, onProgress: (n) => progress.push(n) });
    expect([res.ok, res.status, res.contentLength]).toEqual([true, 200, 11]);
    expect(res.header('Dropbox-API-Result')).toBe('{"size":11}');
    expect(res.headers().get('set-cookie')).toBe('a=1, b=2');
    expect(await text(res.body)).toBe('hello world');
    expect(progress.at(-1)).toBe(11);
  });

  it('reads an error answer as text', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(409, { 'Content-Type': 'application/json' });
      res.end('{"error_summary":"path/not_found/"}');
    });
    const res = await fetchStreaming(url, init, options);
    expect([res.ok, res.status]).toEqual([false, 409]);
    expect(await res.text()).toBe('{"error_summary":"path/not_found/"}');
  });

  it('a body cut off short of its Content-Length fails with TransientError', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': '100' });
      res.write('only ten b', () => res.socket?.destroy());
    });
    const res = await fetchStreaming(url, init, options);
    const err = await failure(() => text(res.body));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toMatch(/^test download: /);
  });

  it('headers that never come and a body that stops flowing fail with TransientError after their timeouts', async () => {
    let stallBody = false;
    const url = await serve((_req, res) => {
      if (!stallBody) return; // never answers
      res.writeHead(200, { 'Content-Length': '100' });
      res.write('ten bytes!');
    });
    const noHeaders = await failure(() => fetchStreaming(url, init, options));
    expect(noHeaders).toBeInstanceOf(TransientError);
    expect(noHeaders.message).toBe('test download: no response headers within 300 ms');

    stallBody = true;
    const res = await fetchStreaming(url, init, options);
    const stalled = await failure(() => text(res.body));
    expect(stalled).toBeInstanceOf(TransientError);
    expect(stalled.message).toBe('test download: no data for 300 ms after 10 bytes');
  });

  it("a caller's abort rethrows its reason, before and during the body", async () => {
    let answer = false;
    const url = await serve((_req, res) => {
      if (!answer) return;
      res.writeHead(200, { 'Content-Length': '100' });
      res.write('ten bytes!');
    });
    const reason = new Error('activity cancelled');
    const before = new AbortController();
    const pending = fetchStreaming(url, init, { ...options, headersTimeoutMs: 60_000, signal: before.signal });
    before.abort(reason);
    expect(await failure(() => pending)).toBe(reason);

    answer = true;
    const during = new AbortController();
    const res = await fetchStreaming(url, init, { ...options, idleTimeoutMs: 60_000, signal: during.signal });
    const reading = text(res.body);
    during.abort(reason);
    expect(await failure(() => reading)).toBe(reason);
  });

  it('a consumer that stops early closes the exchange', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': String(1024 * 1024) });
      res.write(Buffer.alloc(64 * 1024));
    });
    closed.length = 0;
    const res = await fetchStreaming(url, init, { ...options, idleTimeoutMs: 60_000 });
    for await (const chunk of res.body) {
      expect((chunk as Buffer).length).toBeGreaterThan(0);
      break;
    }
    await closed[0]; // the server sees its response closed: the socket was let go
    expect(res.body.destroyed).toBe(true);
  });
});
