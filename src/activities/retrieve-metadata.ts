// The retrieveMetadata activity: one listing page from the connector, written to Postgres in one
// transaction (upserts, deletes, mark-and-sweep, import log), answered with the refs to fetch.
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { CredentialStore } from '../store/credentials.js';
import { inTransaction } from '../store/db.js';
import { applyMetadataPage, sweep } from '../store/documents.js';
import { takeDueRetries } from '../store/parked.js';
import { registerSourceAccount } from '../store/push.js';
import { recordPage } from '../store/sync-runs.js';
import type { RetrieveMetadataInput, RetrieveMetadataResult } from '../workflows/types.js';
import { prepareConnector, withHeartbeats } from './connector-context.js';
import { withTypedFailures } from './failures.js';
import type { ActivityMetrics } from './metrics.js';
import { checkMilestone, parseMilestone } from './milestone.js';

export function createRetrieveMetadata(
  deps: { pool: Pool; logger: Logger; credentials?: CredentialStore },
  { countDocs, observeRateLimit, markCaughtUp }: ActivityMetrics,
) {
  return retrieveMetadata;

  async function retrieveMetadata(input: RetrieveMetadataInput): Promise<RetrieveMetadataResult> {
    return withTypedFailures(
      () =>
        withHeartbeats(async () => {
          const { connector, ctx } = await prepareConnector(input, deps);
          // The workflow counts consecutive listing rate limits; connectors with a backoff schedule read it.
          const page = await connector.retrieveMetadata(
            { ...ctx, rateLimitStreak: input.rateLimitStreak },
            parseMilestone(connector, input.milestone),
          );
          checkMilestone(input.connector, page.milestone);
          const key = { connector: input.connector, userId: input.userId };
          const sweepId = input.sweep || page.reset ? input.syncRunId : undefined;
          const written = await inTransaction(deps.pool, async (client) => {
            const result = await applyMetadataPage(client, {
              ...key,
              upserts: page.upserts,
              deletes: page.deletes,
              deletedPaths: page.deletedPaths,
              sweepId,
            });
            const swept = !page.hasMore && sweepId ? await sweep(client, key, sweepId) : 0;
            // The push receiver maps a notification's account (Dropbox webhooks) to this user.
            if (page.sourceAccount) await registerSourceAccount(client, { ...key, accountId: page.sourceAccount });
            await recordPage(client, {
              runId: input.syncRunId,
              ...key,
              workflowId: input.workflowId,
              pageNo: input.pageNo,
              upserted: result.upserted,
              deleted: result.deleted + swept,
              fullListing: Boolean(sweepId),
              finished: !page.hasMore,
            });
            // Caught up: parked documents (and ones re-requested by hand) get another chance.
            if (input.fetchContent === false) return { ...result, toFetch: [], retried: 0, deleted: result.deleted + swept };
            const retries = page.hasMore ? [] : await takeDueRetries(client, key, input.syncRunId);
            const listed = new Set(result.toFetch.map((d) => d.externalId));
            const toFetch = [...result.toFetch, ...retries.filter((d) => !listed.has(d.externalId))];
            return { ...result, toFetch, retried: retries.length, deleted: result.deleted + swept };
          });
          countDocs(input.connector, 'listed', written.upserted);
          countDocs(input.connector, 'deleted', written.deleted);
          if (!page.hasMore) markCaughtUp(input.connector);
          ctx.logger.info(
            {
              page: input.pageNo,
              listed: page.upserts.length,
              upserted: written.upserted,
              deleted: written.deleted,
              toFetch: written.toFetch.length,
              retried: written.retried,
              hasMore: page.hasMore,
            },
            'metadata page stored',
          );
          const { retried: _retried, ...refs } = written;
          const longpoll = typeof connector.waitForChanges === 'function' ? { canWaitForChanges: true } : {};
          return { ...refs, milestone: page.milestone, hasMore: page.hasMore, reset: Boolean(page.reset), ...longpoll };
        }),
      observeRateLimit(input.connector, 'listing'),
    );
  }
}
