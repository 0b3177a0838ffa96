// /gdrive: Drive push notifications for the channels watchChannels opened (changes.watch). Drive
// posts an empty body with X-Goog-* headers; a notification is accepted only for a live channel,
// with that channel's derived token and a message number not seen before. `sync` (the channel just
// opened) is acknowledged and wakes nothing; any other state wakes the channel's user's sync.
import type { Pool } from 'pg';
import { acceptMessageNumber, channelToken, liveChannel, sameSecret } from '../../store/push.js';
import { accepted, refuse, type WebhookOutcome, type WebhookRequest, type WebhookRoute } from '../route.js';

export interface GdriveRouteDeps {
  pool: Pool;
  /** DOCSYNC_PUSH_SECRET: the channel tokens are derived from it (store/push.ts channelToken). */
  pushSecret: string;
}

function header(request: WebhookRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function gdriveRoute(deps: GdriveRouteDeps): WebhookRoute {
  return {
    prefix: '/gdrive',
    // Drive's notifications have no body; anything big is not from Drive.
    maxBodyBytes: 4 * 1024,
    async handle(request): Promise<WebhookOutcome> {
      if (request.method !== 'POST') return refuse(405, 'POST only');
      const channelId = header(request, 'x-goog-channel-id');
      const token = header(request, 'x-goog-channel-token');
      const state = header(request, 'x-goog-resource-state');
      const number = header(request, 'x-goog-message-number');
      if (!channelId || !token || !state || !number || !/^\d{1,18}$/.test(number)) return refuse(400, 'not a Drive notification');
      // Unknown, stopped and expired channels look the same to the sender: 404, and Drive does not retry 4xx.
      const channel = await liveChannel(deps.pool, channelId);
      if (!channel || channel.connector !== 'gdrive') return refuse(404, 'no such channel');
      if (!sameSecret(token, channelToken(deps.pushSecret, channelId, channel.userId))) return refuse(403, 'bad channel token');
      const resourceId = header(request, 'x-goog-resource-id');
      if (channel.resourceId && resourceId !== undefined && resourceId !== channel.resourceId) return refuse(403, 'bad resource');
      // Checked after the token, so a forger cannot burn message numbers. A number already accepted
      // is a replay (or Drive redelivering one we answered): 409 and nothing woken. Drive retries only
      // 5xx, and the first delivery already woke the sync, so refusing loses nothing.
      if (!(await acceptMessageNumber(deps.pool, channelId, BigInt(number)))) return refuse(409, 'message already received');
      if (state === 'sync') return accepted();
      return accepted([{ connector: 'gdrive', userId: channel.userId }]);
    },
  };
}
