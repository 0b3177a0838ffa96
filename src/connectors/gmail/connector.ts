// The Gmail connector: a message is a document (message/rfc822). Listing via messages.list and
// history.list (listing.ts); content is the raw message, base64url-decoded, which also completes
// the metadata a listing could not read (metadata.ts). Push: users.watch / users.stop (watch.ts).
import { gmail_v1 } from '@googleapis/gmail';
import type { ConnectorContext, DataResult, DocMetadata, WatchChannel, WatchRequest } from '../../core/contract.js';
import { UnsupportedContentError } from '../../core/errors.js';
import { FIXED_SCHEDULE, type GoogleApi, type GoogleClientOptions } from '../google/api.js';
import { GoogleConnector, type PingCall } from '../google/connector.js';
import { gmailConfigSchema, GMAIL_SCOPES, type GmailConfig } from './config.js';
import { gmailMilestoneSchema, listGmail, MESSAGE_MIME, type GmailMilestone } from './listing.js';
import { messageDoc, missingMetadata, rawHeaders } from './metadata.js';
import { stopMailboxWatch, watchMailbox } from './watch.js';

export class GmailConnector extends GoogleConnector<GmailConfig, GmailMilestone, gmail_v1.Gmail> {
  readonly name = 'gmail';
  readonly configSchema = gmailConfigSchema;
  readonly milestoneSchema = gmailMilestoneSchema;
  protected readonly scopes = GMAIL_SCOPES;
  protected readonly pingCall: PingCall<gmail_v1.Gmail> = {
    operation: 'users.getProfile',
    call: ({ client, call }) => client.users.getProfile({ userId: 'me' }, call),
  };
  protected readonly list = listGmail;

  watch(ctx: ConnectorContext<GmailConfig>, request: WatchRequest): Promise<WatchChannel> {
    return watchMailbox(ctx, this.open(ctx), request);
  }

  unwatch(ctx: ConnectorContext<GmailConfig>, _channel: WatchChannel): Promise<void> {
    return stopMailboxWatch(this.open(ctx));
  }

  protected createClient(options: GoogleClientOptions): gmail_v1.Gmail {
    return new gmail_v1.Gmail(options);
  }

  protected async fetch(
    ctx: ConnectorContext<GmailConfig>,
    { client: gmail, session, call }: GoogleApi<gmail_v1.Gmail>,
    doc: DocMetadata,
  ): Promise<DataResult> {
    const id = doc.externalId;
    const res = await session.run('users.messages.get', () => gmail.users.messages.get({ userId: 'me', id, format: 'raw' }, call), {
      externalId: id,
      schedule: FIXED_SCHEDULE,
    });
    if (typeof res.data.raw !== 'string') {
      throw new UnsupportedContentError(`gmail: message ${id} came back without raw content`, {
        connector: this.name,
        userId: ctx.userId,
        externalId: id,
      });
    }
    const body = Buffer.from(res.data.raw, 'base64url');
    // format=raw also carries threadId, labelIds, sizeEstimate and internalDate; the headers come
    // from the message itself. Together they complete a row its listing could only give an id.
    const full = messageDoc({ ...res.data, id, payload: { headers: rawHeaders(body) } });
    return { body, mimeType: MESSAGE_MIME, size: body.length, metadata: missingMetadata(doc, full) };
  }
}
