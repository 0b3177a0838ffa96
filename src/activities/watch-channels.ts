// Activities of the push-channel lifecycle (workflows/watch-channels.ts): open a channel at the
// provider and record it, retire one (stop it there and mark it stopped here). The channel token is
// derived here from DOCSYNC_PUSH_SECRET, so no secret ever enters workflow input or history.
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { WatchChannel } from '../core/contract.js';
import { ConfigError } from '../core/errors.js';
import type { CredentialStore } from '../store/credentials.js';
import { channelToken, registerSourceAccount, saveChannel, stopChannelRecord } from '../store/push.js';
import type { OpenChannelInput, OpenedChannel, RetireChannelInput } from '../workflows/watch-channels.js';
import { prepareConnector } from './connector-context.js';
import { withTypedFailures } from './failures.js';

/** Where each provider posts: DOCSYNC_PUSH_URL is the receiver's public base URL. */
const RECEIVER_PATHS: Record<string, string> = { gdrive: '/gdrive', gmail: '/gmail' };

/**
 * Gmail keeps one watch per mailbox: a second users.watch renews it, and users.stop would end the
 * renewed watch too. So a replaced Gmail watch is only marked stopped here, never stopped there.
 */
const RENEWAL_REPLACES_IN_PLACE = new Set(['gmail']);

interface PushEnv {
  secret: string;
  baseUrl?: string;
  gmailTopic?: string;
}

function pushEnv(env: NodeJS.ProcessEnv): PushEnv {
  const secret = env.DOCSYNC_PUSH_SECRET;
  if (!secret) throw new ConfigError('push channels need DOCSYNC_PUSH_SECRET', ['DOCSYNC_PUSH_SECRET']);
  return { secret, baseUrl: env.DOCSYNC_PUSH_URL?.replace(/\/+$/, ''), gmailTopic: env.DOCSYNC_GMAIL_PUSH_TOPIC };
}

function toWatchChannel(c: OpenedChannel): WatchChannel {
  return { channelId: c.channelId, resourceId: c.resourceId, expiresAt: new Date(c.expiresAt) };
}

export function createWatchActivities(deps: { pool: Pool; logger: Logger; credentials?: CredentialStore }) {
  async function openWatchChannel(input: OpenChannelInput): Promise<OpenedChannel> {
    return withTypedFailures(async () => {
      const { ref, channelId, ttlMs } = input;
      // Read at call time: the worker's environment, never the workflow's input.
      const env = pushEnv(process.env);
      const openedAt = new Date().toISOString();
      const { connector, ctx } = await prepareConnector(ref, deps);
      if (!connector.watch) throw new ConfigError(`${ref.connector} has no push channels`, ['connector']);
      const path = RECEIVER_PATHS[ref.connector];
      if (ref.connector !== 'gmail' && (!env.baseUrl || !path)) {
        throw new ConfigError('push channels need DOCSYNC_PUSH_URL (the receiver base URL)', ['DOCSYNC_PUSH_URL']);
      }
      const token = channelToken(env.secret, channelId, ref.userId);
      // Recorded before asking: Drive posts its `sync` message as soon as the channel exists, maybe
      // before the answer reaches us, and the receiver only accepts channels it can find.
      const key = { channelId, connector: ref.connector, userId: ref.userId };
      await saveChannel(deps.pool, { ...key, expiresAt: new Date(Date.now() + ttlMs) });
      let channel: WatchChannel;
      try {
        const address = env.baseUrl && path ? `${env.baseUrl}${path}` : undefined;
        channel = await connector.watch(ctx, { channelId, token, address, topic: env.gmailTopic, ttlMs });
      } catch (err) {
        await stopChannelRecord(deps.pool, channelId).catch(() => undefined);
        throw err;
      }
      if (channel.sourceAccount) {
        await registerSourceAccount(deps.pool, {
          connector: ref.connector,
          accountId: channel.sourceAccount.toLowerCase(),
          userId: ref.userId,
        });
      }
      await saveChannel(deps.pool, { ...key, resourceId: channel.resourceId, expiresAt: channel.expiresAt });
      deps.logger.info({ connector: ref.connector, userId: ref.userId, channelId, expiresAt: channel.expiresAt }, 'push channel opened');
      return { channelId: channel.channelId, resourceId: channel.resourceId, expiresAt: channel.expiresAt.toISOString(), openedAt };
    });
  }

  async function retireWatchChannel(input: RetireChannelInput): Promise<void> {
    return withTypedFailures(async () => {
      const { ref, channel, replaced } = input;
      if (!(replaced && RENEWAL_REPLACES_IN_PLACE.has(ref.connector))) {
        const { connector, ctx } = await prepareConnector(ref, deps);
        await connector.unwatch?.(ctx, toWatchChannel(channel));
      }
      await stopChannelRecord(deps.pool, channel.channelId);
      deps.logger.info({ connector: ref.connector, userId: ref.userId, channelId: channel.channelId, replaced }, 'push channel stopped');
    });
  }

  return { openWatchChannel, retireWatchChannel };
}
