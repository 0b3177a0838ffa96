// Drive push channels: changes.watch from the current startPageToken (a web_hook channel to the
// receiver, carrying docsync's derived token) and channels.stop. Drive sends notifications only;
// what changed is still read by the listing, so the channel never touches the milestone.
import type { drive_v3 } from '@googleapis/drive';
import type { ConnectorContext, WatchChannel, WatchRequest } from '../../core/contract.js';
import { ConfigError, NotFoundError } from '../../core/errors.js';
import { FIXED_SCHEDULE, type GoogleApi } from '../google/api.js';
import type { GdriveConfig } from './config.js';

/** Drive keeps a changes channel for at most a week; asking for longer is refused. */
const DRIVE_MAX_CHANNEL_MS = 7 * 24 * 3600 * 1000;

export async function watchDriveChanges(
  ctx: ConnectorContext<GdriveConfig>,
  { client: drive, session, call }: GoogleApi<drive_v3.Drive>,
  request: WatchRequest,
): Promise<WatchChannel> {
  if (!request.address) throw new ConfigError('gdrive: a push channel needs the receiver address', ['DOCSYNC_PUSH_URL']);
  const sharedDrives = ctx.config.includeSharedDrives ? { includeItemsFromAllDrives: true, supportsAllDrives: true } : {};
  // The channel watches changes after this token; the listing keeps its own cursor, so any token
  // from "now" is right: notifications only say "list again".
  const start = await session.run(
    'changes.getStartPageToken',
    () => drive.changes.getStartPageToken({ supportsAllDrives: ctx.config.includeSharedDrives }, call),
    { schedule: FIXED_SCHEDULE },
  );
  if (!start.data.startPageToken) throw new Error('gdrive: changes.getStartPageToken returned no token');
  const expiration = Date.now() + Math.min(request.ttlMs, DRIVE_MAX_CHANNEL_MS);
  const res = await session.run(
    'changes.watch',
    () =>
      drive.changes.watch(
        {
          pageToken: start.data.startPageToken!,
          ...sharedDrives,
          requestBody: {
            id: request.channelId,
            type: 'web_hook',
            address: request.address,
            token: request.token,
            expiration: String(expiration),
          },
        },
        call,
      ),
    { schedule: FIXED_SCHEDULE },
  );
  const channel = res.data;
  if (!channel.resourceId) throw new Error('gdrive: changes.watch answered without a resourceId');
  // Drive may grant less than asked; its `expiration` (ms since the epoch, as a string) is the truth.
  const granted = Number(channel.expiration);
  return {
    channelId: channel.id ?? request.channelId,
    resourceId: channel.resourceId,
    expiresAt: new Date(Number.isFinite(granted) && granted > 0 ? granted : expiration),
  };
}

export async function stopDriveChannel({ client: drive, session, call }: GoogleApi<drive_v3.Drive>, channel: WatchChannel): Promise<void> {
  try {
    await session.run(
      'channels.stop',
      () => drive.channels.stop({ requestBody: { id: channel.channelId, resourceId: channel.resourceId } }, call),
      {
        schedule: FIXED_SCHEDULE,
      },
    );
  } catch (err) {
    // Already expired or stopped at Drive: the channel is gone, which is what was asked.
    if (!(err instanceof NotFoundError)) throw err;
  }
}
