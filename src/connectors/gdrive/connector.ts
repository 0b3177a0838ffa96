// The Google Drive connector: listing via files.list + changes.list (listing.ts), content via
// download or export (content.ts). A fresh client per call: credentials come from ctx.config.
import { drive_v3 } from '@googleapis/drive';
import type { Connector, ConnectorContext, DataResult, DocMetadata, MetadataPage, Milestone } from '../../core/contract.js';
import { GOOGLE_SECRET_FIELDS, GoogleSession } from '../google/auth.js';
import { callOptions, clientOptions } from '../google/api.js';
import { gdriveConfigSchema, DRIVE_SCOPES, type GdriveConfig } from './config.js';
import { DriveLister } from './listing.js';
import { retrieveDriveContent } from './content.js';

export class GdriveConnector implements Connector<GdriveConfig> {
  readonly name = 'gdrive';
  readonly configSchema = gdriveConfigSchema;
  readonly secretFields = GOOGLE_SECRET_FIELDS;

  async ping(ctx: ConnectorContext<GdriveConfig>): Promise<void> {
    const { drive, session } = this.open(ctx);
    await session.run('about.get', () => drive.about.get({ fields: 'user(emailAddress)' }, callOptions(ctx, ctx.config.requestTimeoutMs)), {
      schedule: { fixedMs: 30_000 },
    });
  }

  async retrieveMetadata(ctx: ConnectorContext<GdriveConfig>, milestone: Milestone): Promise<MetadataPage> {
    const { drive, session } = this.open(ctx);
    return new DriveLister(ctx, drive, session, milestone).page();
  }

  async retrieveData(ctx: ConnectorContext<GdriveConfig>, doc: DocMetadata): Promise<DataResult> {
    const { drive, session } = this.open(ctx);
    return retrieveDriveContent(ctx, drive, session, doc);
  }

  private open(ctx: ConnectorContext<GdriveConfig>): { drive: drive_v3.Drive; session: GoogleSession } {
    const session = new GoogleSession(ctx, this.name, DRIVE_SCOPES);
    return { drive: new drive_v3.Drive(clientOptions(ctx.config, session)), session };
  }
}
