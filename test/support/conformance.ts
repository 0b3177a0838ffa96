// Binds the conformance kit to a real Temporal + Postgres through the test harness.
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ConformanceEngine, ConformanceSync } from '../../src/connectors/conformance/kit.js';
import { statusQuery } from '../../src/workflows/definitions.js';
import type { Harness } from './harness.js';

export function harnessEngine(h: Harness): ConformanceEngine {
  return {
    async startSync(input) {
      const handle = await h.startSync(input);
      const sync: ConformanceSync = {
        status: () => handle.query(statusQuery),
        signal: (name) => handle.signal(name),
        async result() {
          try {
            return await handle.result();
          } catch (err) {
            const cause = err instanceof WorkflowFailedError ? err.cause : err;
            if (cause instanceof ApplicationFailure) throw { type: cause.type, message: cause.message };
            throw err;
          }
        },
      };
      return sync;
    },
    saveCredentials: (connector, userId, secrets) => h.credentials.save(connector, userId, secrets),
    async documents(connector, userId) {
      const result = await h.pool.query(
        `SELECT external_id, title, path, status, text, error, deleted_at FROM documents
          WHERE connector = $1 AND user_id = $2 ORDER BY external_id`,
        [connector, userId],
      );
      return result.rows.map((r) => ({
        externalId: r.external_id, title: r.title, path: r.path, status: r.status, text: r.text, error: r.error,
        deleted: r.deleted_at !== null,
      }));
    },
  };
}
