// The Dropbox connector: listing through the SDK (files/list_folder + continue cursors as
// the milestone), content streamed from the content host, OAuth refresh serialized per
// credential and saved back. Every failure leaves as a typed docsync error.
import type { ChangeWait, Connector, ConnectorContext, DataResult, DocMetadata, MetadataPage } from '../../core/contract.js';
import { createPathFilter } from '../shared/glob.js';
import { dropboxConfigSchema, type DropboxConfig } from './config.js';
import { CONNECTOR_NAME, DropboxApiError } from './errors.js';
import { openContent } from './content.js';
import { dropboxMilestoneSchema, namingRoot, toMetadataPage, type DropboxMilestone } from './listing.js';
import { waitForDropboxChanges } from './longpoll.js';
import { workerSessions } from './session.js';

type Ctx = ConnectorContext<DropboxConfig>;

export class DropboxConnector implements Connector<DropboxConfig, DropboxMilestone> {
  readonly name = CONNECTOR_NAME;
  readonly configSchema = dropboxConfigSchema;
  readonly milestoneSchema = dropboxMilestoneSchema;
  // Shared by every instance: the registry builds a connector per activity call, and a session's
  // token refreshes and rate-limit wait must outlive one call.
  private readonly sessions = workerSessions;

  async ping(ctx: Ctx): Promise<void> {
    await this.sessions.get(ctx.config).call(ctx, 'users/get_current_account', (dbx) => dbx.usersGetCurrentAccount());
  }

  /** One Dropbox request per call: list_folder for a new sync, list_folder/continue after. */
  async retrieveMetadata(ctx: Ctx, milestone: DropboxMilestone): Promise<MetadataPage> {
    return this.listPage(ctx, milestone).catch((err: unknown) => Promise.reject(namingRoot(err, ctx.config.rootPath)));
  }

  private async listPage(ctx: Ctx, milestone: DropboxMilestone): Promise<MetadataPage> {
    const session = this.sessions.get(ctx.config);
    const include = createPathFilter(ctx.config.include, ctx.config.exclude, { nocase: true });
    if ('cursor' in milestone) {
      const { cursor } = milestone;
      try {
        const res = await session.call(ctx, 'files/list_folder/continue', (dbx) => dbx.filesListFolderContinue({ cursor }));
        return toMetadataPage(res.result, { include, reset: false });
      } catch (err) {
        if (!(err instanceof DropboxApiError && err.tag === 'reset')) throw err;
        ctx.logger.warn({ connector: this.name, userId: ctx.userId }, 'dropbox cursor was reset; listing everything again');
      }
      return toMetadataPage(await this.listFolder(ctx), { include, reset: true });
    }
    // A milestone with no usable cursor is garbage: start over as a reset (full sweep).
    return this.withSourceAccount(ctx, toMetadataPage(await this.listFolder(ctx), { include, reset: 'unreadable' in milestone }));
  }

  /** files/list_folder/longpoll on the notify host (see longpoll.ts: no credential, no rate-limit gate). */
  async waitForChanges(ctx: Ctx, milestone: DropboxMilestone): Promise<ChangeWait> {
    return waitForDropboxChanges(ctx, milestone);
  }

  /**
   * The account_id this listing reads (webhooks name accounts, not users), asked when a sync starts
   * from no cursor (a cursor reset keeps the account), so incremental syncs stay at one request.
   * Best effort: the listing stands without it.
   */
  private async withSourceAccount(ctx: Ctx, page: MetadataPage): Promise<MetadataPage> {
    try {
      const res = await this.sessions.get(ctx.config).call(ctx, 'users/get_current_account', (dbx) => dbx.usersGetCurrentAccount());
      return { ...page, sourceAccount: res.result.account_id };
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      ctx.logger.warn(
        { connector: this.name, userId: ctx.userId, error: (err as Error)?.message },
        'could not read the dropbox account id',
      );
      return page;
    }
  }

  async retrieveData(ctx: Ctx, doc: DocMetadata): Promise<DataResult> {
    const session = this.sessions.get(ctx.config);
    if (doc.extra?.isDownloadable === false) return openContent(session, ctx, doc, 'files/export');
    try {
      return await openContent(session, ctx, doc, 'files/download');
    } catch (err) {
      // The listing said downloadable but Dropbox disagrees (e.g. metadata from an older page).
      if (err instanceof DropboxApiError && err.tag === 'unsupported_file') return openContent(session, ctx, doc, 'files/export');
      throw err;
    }
  }

  private async listFolder(ctx: Ctx) {
    const res = await this.sessions.get(ctx.config).call(ctx, 'files/list_folder', (dbx) =>
      dbx.filesListFolder({
        path: ctx.config.rootPath,
        recursive: true,
        include_deleted: false,
        limit: ctx.config.pageSize,
      }),
    );
    return res.result;
  }
}
