// The Gmail connector: a message is a document (message/rfc822). Listing via messages.list and
// history.list (listing.ts); content is the raw message, base64url-decoded.
import { gmail_v1 } from '@googleapis/gmail';
import type { Connector, ConnectorContext, DataResult, DocMetadata, MetadataPage } from '../../core/contract.js';
import { UnsupportedContentError } from '../../core/errors.js';
import { FIXED_SCHEDULE, openGoogleApi, type GoogleApi } from '../google/api.js';
import { gmailConfigSchema, GMAIL_SCOPES, type GmailConfig } from './config.js';
import { gmailMilestoneSchema, listGmail, MESSAGE_MIME, type GmailMilestone } from './listing.js';

type Ctx = ConnectorContext<GmailConfig>;

export class GmailConnector implements Connector<GmailConfig, GmailMilestone> {
  readonly name = 'gmail';
  readonly configSchema = gmailConfigSchema;
  readonly milestoneSchema = gmailMilestoneSchema;

  async ping(ctx: Ctx): Promise<void> {
    const { client: gmail, session, call } = this.open(ctx);
    await session.run('users.getProfile', () => gmail.users.getProfile({ userId: 'me' }, call), { schedule: FIXED_SCHEDULE });
  }

  async retrieveMetadata(ctx: Ctx, milestone: GmailMilestone): Promise<MetadataPage> {
    return listGmail(ctx, this.open(ctx), milestone);
  }

  async retrieveData(ctx: Ctx, doc: DocMetadata): Promise<DataResult> {
    const { client: gmail, session, call } = this.open(ctx);
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
    return { body, mimeType: MESSAGE_MIME, size: body.length };
  }

  private open(ctx: Ctx): GoogleApi<gmail_v1.Gmail> {
    return openGoogleApi(ctx, this.name, GMAIL_SCOPES, (options) => new gmail_v1.Gmail(options));
  }
}
