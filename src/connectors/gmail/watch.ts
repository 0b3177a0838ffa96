// Gmail push: users.watch on the deployment's Pub/Sub topic (one watch per mailbox; calling it
// again renews it) and users.stop. The watched emailAddress comes from users.getProfile, so the
// receiver can map the address a push names to this user.
import type { gmail_v1 } from '@googleapis/gmail';
import type { ConnectorContext, WatchChannel, WatchRequest } from '../../core/contract.js';
import { ConfigError } from '../../core/errors.js';
import { FIXED_SCHEDULE, type GoogleApi } from '../google/api.js';
import type { GmailConfig } from './config.js';

export async function watchMailbox(
  ctx: ConnectorContext<GmailConfig>,
  { client: gmail, session, call }: GoogleApi<gmail_v1.Gmail>,
  request: WatchRequest,
): Promise<WatchChannel> {
  if (!request.topic) throw new ConfigError('gmail: push needs a Pub/Sub topic', ['DOCSYNC_GMAIL_PUSH_TOPIC']);
  const profile = await session.run('users.getProfile', () => gmail.users.getProfile({ userId: 'me' }, call), { schedule: FIXED_SCHEDULE });
  if (!profile.data.emailAddress) throw new Error('gmail: users.getProfile returned no emailAddress');
  const labelIds = ctx.config.labelIds;
  const res = await session.run(
    'users.watch',
    () =>
      gmail.users.watch(
        {
          userId: 'me',
          requestBody: { topicName: request.topic, ...(labelIds?.length ? { labelIds, labelFilterBehavior: 'include' } : {}) },
        },
        call,
      ),
    { schedule: FIXED_SCHEDULE },
  );
  // Gmail decides the lifetime (about 7 days; `expiration` is ms since the epoch, as a string).
  const expiration = Number(res.data.expiration);
  if (!Number.isFinite(expiration) || expiration <= 0) throw new Error('gmail: users.watch answered without an expiration');
  return {
    channelId: request.channelId,
    resourceId: request.topic,
    expiresAt: new Date(expiration),
    sourceAccount: profile.data.emailAddress.toLowerCase(),
  };
}

export async function stopMailboxWatch({ client: gmail, session, call }: GoogleApi<gmail_v1.Gmail>): Promise<void> {
  // users.stop has no channel to name: it ends every push for the mailbox (and succeeds when none is on).
  await session.run('users.stop', () => gmail.users.stop({ userId: 'me' }, call), { schedule: FIXED_SCHEDULE });
}
