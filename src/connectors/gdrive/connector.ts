// The Google Drive connector: listing via files.list + changes.list (listing.ts), content via
// download or export (content.ts). A fresh client per call: credentials come from ctx.config.
import { drive_v3 } from '@googleapis/drive';
import type { Connector, ConnectorContext, DataResult, DocMetadata, MetadataPage } from '../../core/contract.js';
import { FIXED_SCHEDULE, openGoogleApi, type GoogleApi } from '../google/api.js';
import { gdriveConfigSchema, DRIVE_SCOPES, type GdriveConfig } from './config.js';
import { driveMilestoneSchema, listDrive, type DriveMilestone } from './listing.js';
import { retrieveDriveContent } from './content.js';

type Ctx = ConnectorContext<GdriveConfig>;

export class GdriveConnector implements Connector<GdriveConfig, DriveMilestone> {
  readonly name = 'gdrive';
  readonly configSchema = gdriveConfigSchema;
  readonly milestoneSchema = driveMilestoneSchema;

  async ping(ctx: Ctx): Promise<void> {
    const { client: drive, session, call } = this.open(ctx);
    await session.run('about.get', () => drive.about.get({ fields: 'user(emailAddress)' }, call), { schedule: FIXED_SCHEDULE });
  }

  async retrieveMetadata(ctx: Ctx, milestone: DriveMilestone): Promise<MetadataPage> {
    return listDrive(ctx, this.open(ctx), milestone);
  }

  async retrieveData(ctx: Ctx, doc: DocMetadata): Promise<DataResult> {
    return retrieveDriveContent(ctx, this.open(ctx), doc);
  }

  private open(ctx: Ctx): GoogleApi<drive_v3.Drive> {
    return openGoogleApi(ctx, this.name, DRIVE_SCOPES, (options) => new drive_v3.Drive(options));
  }
}
