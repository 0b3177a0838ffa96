// The Gmail connector: a message is a document (message/rfc822). Listing via messages.list and
// history.list (listing.ts); content is the raw message, base64url-decoded.
import { gmail_v1 } from '@googleapis/gmail';
import type { Connector, ConnectorContext, DataResult, DocMetadata, MetadataPage, Milestone } from '../../core/contract.js';
import { UnsupportedContentError } from '../../core/errors.js';
import { GOOGLE_SECRET_FIELDS, GoogleSession } from '../google/auth.js';
import { callOptions, clientOptions } from '../google/api.js';
import { RATE_LIMIT_BASE_MS } from '../google/rate-limit.js';
import { gmailConfigSchema, GMAIL_SCOPES, type GmailConfig } from './config.js';
import { GmailLister, MESSAGE_MIME } from './listing.js';

export class GmailConnector implements Connector<GmailConfig> {
  readonly name = 'gmail';
  readonly configSchema = gmailConfigSchema;
  readonly secretFields = GOOGLE_SECRET_FIELDS;

  async ping(ctx: ConnectorContext<GmailConfig>): Promise<void> {
    const { gmail, session } = this.open(ctx);
    await session.run('users.getProfile', () => gmail.users.getProfile({ userId: 'me' }, callOptions(ctx, ctx.config.requestTimeoutMs)), {
      schedule: { fixedMs: RATE_LIMIT_BASE_MS },
    });
  }

  async retrieveMetadata(ctx: ConnectorContext<GmailConfig>, milestone: Milestone): Promise<MetadataPage> {
    const { gmail, session } = this.open(ctx);
    return new GmailLister(ctx, gmail, session, milestone).page();
  }

  async retrieveData(ctx: ConnectorContext<GmailConfig>, doc: DocMetadata): Promise<DataResult> {
    const { gmail, session } = this.open(ctx);
    const id = doc.externalId;
    const res = await session.run(
      'users.messages.get',
      () => gmail.users.messages.get({ userId: 'me', id, format: 'raw' }, callOptions(ctx, ctx.config.requestTimeoutMs)),
      { externalId: id, schedule: { fixedMs: RATE_LIMIT_BASE_MS } },
    );
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

  private open(ctx: ConnectorContext<GmailConfig>): { gmail: gmail_v1.Gmail; session: GoogleSession } {
    const session = new GoogleSession(ctx, this.name, GMAIL_SCOPES);
    return { gmail: new gmail_v1.Gmail(clientOptions(ctx.config, session)), session };
  }
}
