// The Dropbox connector passes the conformance kit through the real `dropbox` SDK against the
// wire-level fake, on a real Temporal + Postgres.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineConformanceSuite } from '../../src/testing/kit.js';
import { conformanceEngine } from '../../src/testing/engine.js';
import { useHarness } from '../support/harness.js';
import { FakeDropbox } from '../fakes/dropbox/server.js';

// The kit closes its source in its afterAll; this also stops a fake whose source never got that far
// (stop is idempotent).
const fakes: FakeDropbox[] = [];
const h = useHarness('conf_dropbox', {
  worker: true,
  teardown: async () => {
    for (const fake of fakes) await fake.stop();
  },
});

const LISTING = new Set(['/2/files/list_folder', '/2/files/list_folder/continue']);
const DOWNLOAD = new Set(['/2/files/download', '/2/files/export']);

defineConformanceSuite(
  { describe, it, beforeAll, afterAll, expect },
  {
    connector: 'dropbox',
    invalidConfig: {
      config: { appKey: 'k', pageSize: 0, rootPath: 'no-slash' },
      fields: ['appSecret', 'refreshToken', 'pageSize', 'rootPath'],
    },
    async createSource() {
      const fake = new FakeDropbox();
      fakes.push(fake);
      const { url } = await fake.start();
      return {
        config: { apiBaseUrl: url, pageSize: 2, requestTimeoutMs: 5_000 },
        secrets: { appKey: fake.appKey, appSecret: fake.appSecret, refreshToken: fake.refreshToken },
        add: async (name, content) => void fake.addFile(`/${name}`, content),
        modify: async (name, content) => void fake.updateFile(`/${name}`, content),
        remove: async (name) => fake.deleteFile(`/${name}`),
        // The kit invalidates the cursor right after: the deletion never shows in a change feed.
        removeSilently: async (name) => fake.deleteFile(`/${name}`),
        rename: async (from, to) => void fake.move(`/${from}`, `/${to}`),
        invalidateCursor: async () => fake.invalidateCursors(),
        rateLimitNext: async (op, ms) =>
          fake.inject(op === 'listing' ? '/2/files/list_folder/continue' : '/2/files/download', {
            kind: 'rate-limit',
            retryAfterSeconds: Math.ceil(ms / 1000),
          }),
        calls: async () =>
          fake.requests
            .filter((r) => LISTING.has(r.route) || DOWNLOAD.has(r.route))
            .map((r) => ({ op: LISTING.has(r.route) ? ('listing' as const) : ('download' as const), at: new Date(r.at) })),
        revokeAuth: async () => {
          fake.expireAccessToken();
          fake.revokeRefreshToken();
        },
        restoreAuth: async () => fake.restoreRefreshToken(),
        breakDownload: async (name) => fake.breakContent(`/${name}`),
        close: () => fake.stop(),
      };
    },
  },
  () => conformanceEngine(h),
);
