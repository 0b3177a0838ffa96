// The sample connector passes the conformance kit on a real Temporal + Postgres.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineConformanceSuite } from '../../src/testing/kit.js';
import { conformanceEngine } from '../../src/testing/engine.js';
import { useHarness } from '../support/harness.js';
import { newSampleSource } from '../support/sample.js';

const h = useHarness('conf_sample', { worker: true });

const TOKEN = 'sample-token-1';

defineConformanceSuite(
  { describe, it, beforeAll, afterAll, expect },
  {
    connector: 'sample',
    invalidConfig: { config: { pageSize: 0 }, fields: ['sourceDir', 'pageSize'] },
    async createSource() {
      const source = newSampleSource();
      await source.requireToken(TOKEN);
      const op = { retrieveMetadata: 'listing', retrieveData: 'download' } as const;
      return {
        config: { sourceDir: source.dir, pageSize: 2 },
        secrets: { token: TOKEN },
        add: (name, content) => source.put(name, { title: name, content }),
        modify: (name, content) => source.put(name, { title: name, content }),
        remove: (name) => source.remove(name),
        removeSilently: (name) => source.remove(name, { silently: true }),
        invalidateCursor: () => source.invalidateCursors(),
        rateLimitNext: (kind, ms) => source.rateLimitNextCalls(1, ms, kind === 'listing' ? 'retrieveMetadata' : 'retrieveData'),
        calls: async () => (await source.calls()).map((c) => ({ op: op[c.op], at: new Date(c.at) })),
        revokeAuth: () => source.requireToken('rotated-token'),
        restoreAuth: () => source.requireToken(TOKEN),
        breakDownload: (name) => source.failRetrieval(name, 'sample: this document is unreadable'),
      };
    },
  },
  () => conformanceEngine(h),
);
