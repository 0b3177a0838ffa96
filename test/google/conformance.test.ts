// Google Drive and Gmail pass the conformance kit through the real googleapis clients against
// the wire-level fakes, on a real Temporal + Postgres.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineConformanceSuite, type ConformanceSource, type SourceOp } from '../../src/testing/kit.js';
import { googleFailures, startFakeGoogle, type FakeGoogle } from '../fakes/google/index.js';
import { conformanceEngine } from '../../src/testing/engine.js';
import { useHarness } from '../support/harness.js';

const fakes: FakeGoogle[] = [];
const h = useHarness('conf_google', {
  worker: true,
  teardown: async () => {
    for (const f of fakes) await f.close();
  },
});

/** What every Google source shares: config, credentials, rate limits, calls, auth. */
function googleSource(fake: FakeGoogle, routes: { listing: string[]; download: string[] }, limited: Record<SourceOp, string>) {
  const kind = (route: string): SourceOp | undefined =>
    routes.listing.includes(route) ? 'listing' : routes.download.includes(route) ? 'download' : undefined;
  return {
    config: { apiBaseUrl: fake.url, tokenUrl: fake.tokenUrl, pageSize: 2, requestTimeoutMs: 5_000 },
    secrets: { clientId: fake.oauth.clientId, clientSecret: fake.oauth.clientSecret, refreshToken: fake.oauth.refreshToken },
    rateLimitNext: async (op: SourceOp, ms: number) =>
      fake.failNext(limited[op] as never, googleFailures.tooManyRequests(String(Math.ceil(ms / 1000))), 1),
    calls: async () =>
      fake.requests.flatMap((r) => {
        const op = kind(r.route);
        return op ? [{ op, at: new Date(r.at) }] : [];
      }),
    revokeAuth: async () => {
      fake.oauth.expireAccessTokens();
      fake.oauth.revokeRefreshToken();
    },
    restoreAuth: async () => fake.oauth.restoreRefreshToken(),
    close: async () => undefined,
  };
}

defineConformanceSuite(
  { describe, it, beforeAll, afterAll, expect },
  {
    connector: 'gdrive',
    invalidConfig: { config: { clientId: 'x', pageSize: 5000 }, fields: ['pageSize'] },
    async createSource(): Promise<ConformanceSource> {
      const fake = await startFakeGoogle();
      fakes.push(fake);
      const ids = new Map<string, string>();
      const id = (name: string) => ids.get(name) ?? '(unknown)';
      return {
        ...googleSource(
          fake,
          {
            listing: ['drive.changes.list', 'drive.files.list', 'drive.changes.getStartPageToken'],
            download: ['drive.files.get', 'drive.files.export'],
          },
          { listing: 'drive.changes.list', download: 'drive.files.get' },
        ),
        add: async (name, content) => void ids.set(name, fake.drive.addFile({ name, content, mimeType: 'text/plain' })),
        modify: async (name, content) => fake.drive.modifyFile(id(name), content),
        remove: async (name) => fake.drive.deleteFile(id(name)),
        removeSilently: async (name) => fake.drive.deleteFile(id(name)),
        rename: async (from, to) => {
          fake.drive.renameFile(id(from), to);
          ids.set(to, id(from));
        },
        invalidateCursor: async () => fake.drive.expireChangeTokens(),
        breakDownload: async (name) => fake.drive.breakContent(id(name)),
      };
    },
  },
  () => conformanceEngine(h),
);

defineConformanceSuite(
  { describe, it, beforeAll, afterAll, expect },
  {
    connector: 'gmail',
    invalidConfig: { config: { clientId: 'x', pageSize: 0 }, fields: ['pageSize'] },
    // Stored text is the extracted e-mail: headers and body, so the body must appear in it.
    expectText: (stored, content) => expect(stored ?? '').toContain(content),
    async createSource(): Promise<ConformanceSource> {
      const fake = await startFakeGoogle();
      fakes.push(fake);
      const ids = new Map<string, string>();
      const id = (name: string) => ids.get(name) ?? '(unknown)';
      return {
        ...googleSource(
          fake,
          {
            listing: ['gmail.history.list', 'gmail.messages.list', 'gmail.messages.get.metadata', 'gmail.users.getProfile'],
            download: ['gmail.messages.get'],
          },
          { listing: 'gmail.history.list', download: 'gmail.messages.get' },
        ),
        add: async (name, content) => void ids.set(name, fake.gmail.addMessage({ subject: name, body: content })),
        remove: async (name) => fake.gmail.deleteMessage(id(name)),
        removeSilently: async (name) => fake.gmail.deleteMessage(id(name)),
        invalidateCursor: async () => fake.gmail.expireHistory(),
        breakDownload: async (name) => fake.gmail.breakContent(id(name)),
      };
    },
  },
  () => conformanceEngine(h),
);
