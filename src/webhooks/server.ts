// The webhook receiver's HTTP server (node:http): one path prefix per source (routes/*.ts), bodies
// bounded, `/healthz`, and the answer sent before any sync is woken. Anything a route does not
// accept gets a 4xx and changes nothing; a route's own failure is a 500 without details.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Waker } from './notifier.js';
import { refuse, type WebhookOutcome, type WebhookRequest, type WebhookRoute } from './route.js';

export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

export interface WebhookServerOptions {
  routes: readonly WebhookRoute[];
  waker: Waker;
  logger: Logger;
  host?: string;
  port?: number;
  maxBodyBytes?: number;
}

export interface WebhookServer {
  url: string;
  close(): Promise<void>;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return reject(new BodyTooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume(); // drain without keeping it
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function routeFor(routes: readonly WebhookRoute[], pathname: string): { route: WebhookRoute; rest: string } | undefined {
  for (const route of routes) {
    if (pathname === route.prefix || pathname.startsWith(`${route.prefix}/`)) return { route, rest: pathname.slice(route.prefix.length) };
  }
  return undefined;
}

function send(res: ServerResponse, outcome: WebhookOutcome): void {
  const { status, headers = {}, body } = outcome.response;
  res.writeHead(status, { 'cache-control': 'no-store', ...headers });
  res.end(body);
}

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const { routes, waker, logger } = options;
  const defaultLimit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const server = createServer((req, res) => {
    // One log line per refusal, with the route's fixed reason: never the body, headers or query.
    const answer = (outcome: WebhookOutcome, route?: string): void => {
      send(res, outcome);
      const { status, body } = outcome.response;
      if (status >= 400) logger.info({ route, status, reason: status < 500 ? body?.trim() : undefined }, 'webhook refused');
    };
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://receiver');
      if (url.pathname === '/healthz') return send(res, { response: { status: 200, body: 'ok\n' } });
      const match = routeFor(routes, url.pathname);
      if (!match) return answer(refuse(404, 'no such endpoint'));
      let body: Buffer;
      try {
        body = await readBody(req, match.route.maxBodyBytes ?? defaultLimit);
      } catch (err) {
        if (err instanceof BodyTooLarge) {
          res.setHeader('connection', 'close');
          return answer(refuse(413, 'body too large'), match.route.prefix);
        }
        return answer(refuse(400, 'unreadable body'), match.route.prefix);
      }
      const request: WebhookRequest = {
        method: req.method ?? 'GET',
        path: match.rest,
        query: url.searchParams,
        headers: req.headers,
        body,
      };
      let outcome: WebhookOutcome;
      try {
        outcome = await match.route.handle(request);
      } catch (err) {
        logger.error({ route: match.route.prefix, err: (err as Error).message }, 'webhook route failed');
        return send(res, { response: { status: 500 } });
      }
      answer(outcome, match.route.prefix);
      for (const target of outcome.wake ?? []) waker.wake(target);
    })();
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
