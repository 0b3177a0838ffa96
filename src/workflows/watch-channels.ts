// watchChannels: one per user and connector (id `watch/<connector>/<user>`), keeping a push channel
// open at the provider (Drive changes.watch, Gmail users.watch). It opens a channel, sleeps on a
// durable timer until shortly before the channel expires, opens the next one and only then stops
// the old (overlap, never a gap), and repeats, continuing as new every few renewals. The `stop`
// signal (user disconnected) or a cancellation stops the channel and ends the workflow. Renewals
// live in Temporal, not in a process cron: they survive restarts and run once however many workers.
import {
  CancellationScope,
  condition,
  continueAsNew,
  defineSignal,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { createWatchActivities } from '../activities/watch-channels.js';
import type { ConnectorRef } from '../core/refs.js';
import { METADATA_ACTIVITY_OPTIONS } from './activity-options.js';
import { classifyFailure } from './failures.js';

/** A channel the provider accepted, as it travels through history (ids and times, never the token). */
export interface OpenedChannel {
  channelId: string;
  resourceId?: string;
  /** ISO time the provider will stop the channel. */
  expiresAt: string;
  /** ISO time the channel was opened. */
  openedAt: string;
}

export interface WatchChannelsInput {
  /** Which user's source to watch; `config` holds no secrets (checked by the activity). */
  ref: ConnectorRef;
  /** Lifetime asked of each channel; renewal comes before it ends (default per connector). */
  ttlMs?: number;
  /** How long before the end a channel is replaced (default 1 h, at most half its lifetime). */
  renewBeforeMs?: number;
  /** Continue as new after this many renewals (default 20). */
  renewalsPerRun?: number;
  /** Carried by continue-as-new: the channel open now. */
  current?: OpenedChannel;
}

export interface OpenChannelInput {
  ref: ConnectorRef;
  channelId: string;
  ttlMs: number;
}

export interface RetireChannelInput {
  ref: ConnectorRef;
  channel: OpenedChannel;
  /** true: a newer channel replaced it (renewal); false: the user's push ends. */
  replaced: boolean;
}

export const stopWatchSignal = defineSignal('stop');

export function watchWorkflowId(connector: string, userId: string): string {
  return `watch/${connector}/${userId}`;
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** Drive changes channels last at most a week; Google asks Gmail watches to be renewed daily. */
const DEFAULT_TTL_MS: Record<string, number> = { gdrive: 7 * DAY, gmail: DAY };
const MAX_RETRY_WAIT_MS = HOUR;

const acts = proxyActivities<ReturnType<typeof createWatchActivities>>({
  ...METADATA_ACTIVITY_OPTIONS,
  // Short calls that do not heartbeat.
  heartbeatTimeout: undefined,
  startToCloseTimeout: '2 minutes',
});

/** When to replace a channel: before it expires, and no later than its requested lifetime. */
function renewalTime(channel: OpenedChannel, ttlMs: number, renewBeforeMs: number): number {
  const opened = Date.parse(channel.openedAt);
  const end = Math.min(Date.parse(channel.expiresAt), opened + ttlMs);
  // A provider granting a short channel must not make renewals back to back.
  const margin = Math.min(renewBeforeMs, (end - opened) / 2);
  return end - margin;
}

export async function watchChannels(input: WatchChannelsInput): Promise<void> {
  const { ref } = input;
  const ttlMs = input.ttlMs ?? DEFAULT_TTL_MS[ref.connector] ?? DAY;
  const renewBeforeMs = input.renewBeforeMs ?? HOUR;
  const renewalsPerRun = input.renewalsPerRun ?? 20;
  let stopping = false;
  setHandler(stopWatchSignal, () => {
    stopping = true;
  });

  /** Opens a channel, waiting out rate limits and outages; undefined when stopped meanwhile. */
  const open = async (): Promise<OpenedChannel | undefined> => {
    let backoffMs = 60_000;
    while (!stopping) {
      try {
        return await acts.openWatchChannel({ ref, channelId: uuid4(), ttlMs });
      } catch (err) {
        if (isCancellation(err)) throw err;
        const failure = classifyFailure(err);
        // Missing push settings cannot heal by waiting: end visibly.
        if (failure.kind === 'config') throw err;
        const waitMs = failure.kind === 'rate-limit' ? Math.max(1000, failure.retryAt.getTime() - Date.now()) : backoffMs;
        backoffMs = Math.min(backoffMs * 2, MAX_RETRY_WAIT_MS);
        log.warn('could not open a push channel; retrying', { connector: ref.connector, error: failure.message, waitMs });
        await condition(() => stopping, waitMs);
      }
    }
    return undefined;
  };

  const retire = async (channel: OpenedChannel, replaced: boolean): Promise<void> => {
    try {
      await acts.retireWatchChannel({ ref, channel, replaced });
    } catch (err) {
      if (isCancellation(err)) throw err;
      // The provider ends the channel at its expiration anyway; polling covers any stray notification.
      log.warn('could not stop a push channel', { connector: ref.connector, channelId: channel.channelId, error: (err as Error).message });
    }
  };

  let current = input.current;
  try {
    current ??= await open();
    let renewals = 0;
    while (current && !stopping) {
      const waitMs = renewalTime(current, ttlMs, renewBeforeMs) - Date.now();
      if (waitMs > 0 && (await condition(() => stopping, waitMs))) break;
      if (stopping) break;
      const next = await open();
      if (!next) break;
      // The new channel is live before the old one stops: notifications never have a gap.
      await retire(current, true);
      current = next;
      renewals += 1;
      if (renewals >= renewalsPerRun || workflowInfo().continueAsNewSuggested) {
        await continueAsNew<typeof watchChannels>({ ...input, current });
      }
    }
    if (current) await retire(current, false);
  } catch (err) {
    const last = current;
    if (isCancellation(err) && last) await CancellationScope.nonCancellable(() => retire(last, false));
    throw err;
  }
}
