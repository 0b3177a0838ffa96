// The webhook receiver's server without services: routing, body bounds, health, failures, and
// syncs woken only after the answer, only for what the route accepted.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { accepted, refuse, type WakeTarget, type WebhookRequest, type WebhookRoute } from '../../src/webhooks/route.js';
import { startWebhookServer, type WebhookServer } from '../../src/webhooks/server.js';

const logger = pino({ level: 'silent' });
let server: WebhookServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function recordingWaker(): { woken: WakeTarget[]; wake(t: WakeTarget): void; idle(): Promise<void> } {
  const woken: WakeTarget[] = [];
  return { woken, wake: (t) => void woken.push(t), idle: async () => undefined };
}

describe('webhook server', () => {
  it('routes by prefix with the raw body, answers /healthz, 404s unknown paths and 413s oversized bodies', async () => {
    const seen: WebhookRequest[] = [];
    const route: WebhookRoute = {
      prefix: '/src',
      maxBodyBytes: 64,
      handle: async (req) => {
        seen.push(req);
        return req.query.get('ok') === '1' ? accepted([{ connector: 'sample', userId: 'u1' }]) : refuse(403, 'forged');
      },
    };
    const waker = recordingWaker();
    server = await startWebhookServer({ routes: [route], waker, logger });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/other`)).status).toBe(404);
    expect((await fetch(`${server.url}/srcx`)).status).toBe(404);

    const ok = await fetch(`${server.url}/src/hook?ok=1`, { method: 'POST', body: '{"a":1}' });
    expect(ok.status).toBe(200);
    expect(seen[0]).toMatchObject({ method: 'POST', path: '/hook' });
    expect(seen[0].body.toString()).toBe('{"a":1}');
    expect(waker.woken).toEqual([{ connector: 'sample', userId: 'u1' }]);

    const forged = await fetch(`${server.url}/src`, { method: 'POST', body: 'x' });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toBe('forged\n');
    const big = await fetch(`${server.url}/src?ok=1`, { method: 'POST', body: 'x'.repeat(65) });
    expect(big.status).toBe(413);
    expect(seen).toHaveLength(2); // the oversized body never reached the route
    expect(waker.woken).toHaveLength(1);
  });

  it('answers 500 without details when a route fails, and wakes nothing', async () => {
    const route: WebhookRoute = {
      prefix: '/boom',
      handle: async () => {
        throw new Error('secret detail');
      },
    };
    const waker = recordingWaker();
    server = await startWebhookServer({ routes: [route], waker, logger });
    const res = await fetch(`${server.url}/boom`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain('secret');
    expect(waker.woken).toHaveLength(0);
  });
});
