// The generated benchmark corpus behind the real Dropbox connector: paging, the change feed after
// touched files, and a streamed body far larger than the fake keeps in memory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DropboxConnector } from '../../src/connectors/dropbox/connector.js';
import { GeneratedDropboxAccount } from '../fakes/dropbox/corpus.js';
import { FakeDropbox } from '../fakes/dropbox/server.js';
import { listUntilCaughtUp, readBody } from './harness.js';

describe('given a generated Dropbox corpus of 2,500 files', () => {
  const account = new GeneratedDropboxAccount({ count: 2500, fileSize: 300 });
  const fake = new FakeDropbox({ account });
  const connector = new DropboxConnector();
  let ctx: Parameters<DropboxConnector['retrieveMetadata']>[0];

  beforeAll(async () => {
    const { url } = await fake.start();
    ctx = {
      userId: 'bench',
      config: connector.configSchema.parse({
        appKey: fake.appKey,
        appSecret: fake.appSecret,
        refreshToken: fake.refreshToken,
        apiBaseUrl: url,
        pageSize: 1000,
      }),
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      signal: new AbortController().signal,
      heartbeat: () => undefined,
      saveCredentials: async () => undefined,
    };
  });
  afterAll(() => fake.stop());

  it('lists every file once in pages of the requested size, then only the touched ones', async () => {
    const first = await listUntilCaughtUp({ connector, ctx });
    expect(first.pages.map((p) => p.upserts.length)).toEqual([1000, 1000, 500]);
    const ids = new Set(first.pages.flatMap((p) => p.upserts.map((d) => d.externalId)));
    expect(ids.size).toBe(2500);

    const before = first.pages[0].upserts[7].version;
    account.touch(7);
    account.touch(1234);
    fake.resetRecording();
    const second = await listUntilCaughtUp({ connector, ctx }, first.milestone);
    expect(second.pages.flatMap((p) => p.upserts.map((d) => d.path))).toEqual([account.pathOf(7), account.pathOf(1234)]);
    expect(second.pages[0].upserts[0].version).not.toBe(before);
    expect(fake.count('/2/files/list_folder/continue')).toBe(1);
  });

  it('serves small bodies of the declared size and text', async () => {
    const doc = (await connector.retrieveMetadata(ctx, {})).upserts[3];
    const body = await readBody(await connector.retrieveData(ctx, doc));
    expect(body.length).toBe(300);
    expect(body.toString('utf8')).toMatch(/^Document 3 revision 0: generated text/);
  });

  it('streams a 5 MiB body without holding it', async () => {
    const big = new GeneratedDropboxAccount({ count: 1, fileSize: 5 * 1024 * 1024 + 17 });
    const bigFake = new FakeDropbox({ account: big, appKey: fake.appKey, appSecret: fake.appSecret, refreshToken: fake.refreshToken });
    const { url } = await bigFake.start();
    try {
      const bigCtx = { ...ctx, config: { ...ctx.config, apiBaseUrl: url, accessToken: undefined } };
      const [doc] = (await connector.retrieveMetadata(bigCtx, {})).upserts;
      expect(doc.size).toBe(5 * 1024 * 1024 + 17);
      const body = await readBody(await connector.retrieveData(bigCtx, doc));
      expect(body.length).toBe(5 * 1024 * 1024 + 17);
      expect(body.subarray(body.length - 200).toString('utf8')).toContain('Document 0 revision 0');
    } finally {
      await bigFake.stop();
    }
  });
});
