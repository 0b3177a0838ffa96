// The Google Drive connector: listing via files.list + changes.list (listing.ts), content via
// download or export (content.ts), push channels via changes.watch / channels.stop (watch.ts).
import { drive_v3 } from '@googleapis/drive';
import type { ConnectorContext, WatchChannel, WatchRequest } from '../../core/contract.js';
import type { GoogleClientOptions } from '../google/api.js';
import { GoogleConnector, type PingCall } from '../google/connector.js';
import { gdriveConfigSchema, DRIVE_SCOPES, type GdriveConfig } from './config.js';
import { driveMilestoneSchema, listDrive, type DriveMilestone } from './listing.js';
import { retrieveDriveContent } from './content.js';
import { stopDriveChannel, watchDriveChanges } from './watch.js';

export class GdriveConnector extends GoogleConnector<GdriveConfig, DriveMilestone, drive_v3.Drive> {
  readonly name = 'gdrive';
  readonly configSchema = gdriveConfigSchema;
  readonly milestoneSchema = driveMilestoneSchema;
  protected readonly scopes = DRIVE_SCOPES;
  protected readonly pingCall: PingCall<drive_v3.Drive> = {
    operation: 'about.get',
    call: ({ client, call }) => client.about.get({ fields: 'user(emailAddress)' }, call),
  };
  protected readonly list = listDrive;
  protected readonly fetch = retrieveDriveContent;

  watch(ctx: ConnectorContext<GdriveConfig>, request: WatchRequest): Promise<WatchChannel> {
    return watchDriveChanges(ctx, this.open(ctx), request);
  }

  unwatch(ctx: ConnectorContext<GdriveConfig>, channel: WatchChannel): Promise<void> {
    return stopDriveChannel(this.open(ctx), channel);
  }

  protected createClient(options: GoogleClientOptions): drive_v3.Drive {
    return new drive_v3.Drive(options);
  }
}
