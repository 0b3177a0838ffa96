// Starts the webhook receiver inside a process (`docsync webhooks`, or the worker when
// DOCSYNC_WEBHOOKS_PORT is set): the routes the environment configures, a SyncNotifier on the
// Temporal client, and an hourly prune of old accepted deliveries.
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { pruneDeliveries } from '../store/push.js';
import { SyncNotifier } from './notifier.js';
import { webhookRoutes } from './routes/index.js';
import { startWebhookServer } from './server.js';

export const DEFAULT_WEBHOOKS_PORT = 8787;

/** Deliveries are kept a week: Pub/Sub redelivers for up to 7 days, Dropbox retries for ~10 minutes. */
const DELIVERY_RETENTION_MS = 7 * 24 * 3600_000;
const PRUNE_EVERY_MS = 3600_000;

export interface ReceiverListen {
  host: string;
  port: number;
}

const listenSchema = z.object({
  // Loopback by default: the receiver is meant to sit behind a TLS reverse proxy.
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(DEFAULT_WEBHOOKS_PORT),
});

/** Where to listen: flags first, then DOCSYNC_WEBHOOKS_HOST / DOCSYNC_WEBHOOKS_PORT, then 127.0.0.1:8787. */
export function receiverListen(env: NodeJS.ProcessEnv, flags: { host?: string; port?: string } = {}): ReceiverListen {
  const result = listenSchema.safeParse({
    host: flags.host ?? (env.DOCSYNC_WEBHOOKS_HOST || undefined),
    port: flags.port ?? (env.DOCSYNC_WEBHOOKS_PORT || undefined),
  });
  if (result.success) return result.data;
  const detail = result.error.issues.map(
    (i) => `${i.path[0] === 'host' ? 'DOCSYNC_WEBHOOKS_HOST' : 'DOCSYNC_WEBHOOKS_PORT'}: ${i.message}`,
  );
  throw new ConfigError(`invalid webhook receiver address: ${detail.join('; ')}`, ['DOCSYNC_WEBHOOKS_HOST', 'DOCSYNC_WEBHOOKS_PORT']);
}

export interface ReceiverOptions extends ReceiverListen {
  pool: Pool;
  client: Client;
  logger: Logger;
  env: NodeJS.ProcessEnv;
}

export interface Receiver {
  url: string;
  /** The mounted path prefixes, e.g. ['/dropbox']. */
  routes: string[];
  notifier: SyncNotifier;
  /** Stops accepting, then waits for the signals already on their way. */
  close(): Promise<void>;
}

export async function startReceiver(options: ReceiverOptions): Promise<Receiver> {
  const { pool, client, logger } = options;
  const routes = webhookRoutes({ pool, env: options.env });
  if (routes.length === 0) {
    throw new ConfigError('the webhook receiver has no source configured: set DOCSYNC_DROPBOX_APP_SECRET (see the README)', [
      'DOCSYNC_DROPBOX_APP_SECRET',
    ]);
  }
  const notifier = new SyncNotifier(client, logger);
  const server = await startWebhookServer({ routes, waker: notifier, logger, host: options.host, port: options.port });
  // Idempotent, so several receivers pruning side by side is harmless; failures only delay it.
  const prune = () =>
    void pruneDeliveries(pool, new Date(Date.now() - DELIVERY_RETENTION_MS)).catch((err: Error) =>
      logger.warn({ err: err.message }, 'could not prune old webhook deliveries'),
    );
  prune();
  const timer = setInterval(prune, PRUNE_EVERY_MS).unref();
  return {
    url: server.url,
    routes: routes.map((r) => r.prefix),
    notifier,
    async close() {
      clearInterval(timer);
      await server.close();
      await notifier.idle();
    },
  };
}
