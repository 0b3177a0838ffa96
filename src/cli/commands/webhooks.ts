// `docsync webhooks [--host H] [--port P]`: the push-notification receiver as its own process. It
// verifies each provider's notifications (routes under src/webhooks/routes/) and signals `syncNow`
// to the users' syncs; one log line (stderr, JSON) per refusal; Ctrl-C / SIGTERM stop it cleanly.
import type { Command } from 'commander';
import { pino } from 'pino';
import { ConfigError } from '../../core/errors.js';
import { receiverListen, startReceiver } from '../../webhooks/receiver.js';
import { CliError, database, EXIT, temporalClient } from '../context.js';

export function registerWebhooksCommand(program: Command): void {
  program
    .command('webhooks')
    .description("receive Dropbox webhooks (and other push notifications) and wake the users' syncs; serve it behind a TLS reverse proxy")
    .option('--host <host>', 'interface to listen on (env DOCSYNC_WEBHOOKS_HOST, default 127.0.0.1)')
    .option('--port <port>', 'port to listen on, 0 = any free port (env DOCSYNC_WEBHOOKS_PORT, default 8787)')
    .action(async (flags: { host?: string; port?: string }) => {
      const logger = pino(
        { level: process.env.LOG_LEVEL || 'info', base: { service: 'docsync-webhooks' } },
        pino.destination({ fd: 2, sync: true }),
      );
      let receiver;
      try {
        const listen = receiverListen(process.env, flags);
        receiver = await startReceiver({ ...listen, pool: await database(), client: await temporalClient(), logger, env: process.env });
      } catch (err) {
        if (err instanceof ConfigError) throw new CliError(err.message, EXIT.config);
        throw err;
      }
      console.log(`webhook receiver on ${receiver.url} (${receiver.routes.join(', ')}, /healthz); Ctrl-C stops it`);
      await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
      await receiver.close();
      logger.info(receiver.notifier.counts, 'webhook receiver stopped');
    });
}
