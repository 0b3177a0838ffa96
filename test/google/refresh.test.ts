// Google tokens and streams per credential, through the real googleapis clients against the fake:
// an access token that expires as several downloads start is refreshed once and saved once, a 401
// on parallel downloads costs one token request, and a Drive body that stalls mid-way fails fast
// with TransientError (the idle timeout), not after the activity's whole timeout.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GdriveConnector } from '../../src/connectors/gdrive/connector.js';
import type { DocMetadata, JsonObject } from '../../src/core/contract.js';
import { TransientError } from '../../src/core/errors.js';
import { startFakeGoogle, type FakeGoogle } from '../fakes/google/index.js';
import { failureOf, makeContext, readAll, userAuth } from './harness.js';

const connector = new GdriveConnector();
let fake: FakeGoogle;

beforeEach(async () => {
  fake = await startFakeGoogle();
});
afterEach(async () => {
  await fake.close();
});

function driveDoc(id: string, size: number): DocMetadata {
  return { externalId: id, title: id, version: '1', size, mimeType: 'text/plain', extra: { googleMimeType: 'text/plain' } };
}

/** Four activities' contexts for one credential: each parses its own copy of the stored config. */
function contexts(stored: JsonObject) {
  return Array.from({ length: 4 }, () => makeContext(connector, userAuth(fake, stored)));
}

async function downloadAll(ctxs: ReturnType<typeof contexts>, docs: DocMetadata[]) {
  return Promise.all(ctxs.map(async (ctx, i) => (await readAll((await connector.retrieveData(ctx, docs[i])).body)).toString()));
}

describe('one token refresh per credential', () => {
  it('given an access token that expired just now, 4 parallel downloads make exactly 1 token request and save it once', async () => {
    const ids = [0, 1, 2, 3].map((i) => fake.drive.addFile({ name: `r${i}.txt`, content: `refresh ${i}` }));
    const ctxs = contexts({ accessToken: fake.oauth.issueAccessToken(), expiryDate: Date.now() - 1_000 });

    const bodies = await downloadAll(
      ctxs,
      ids.map((id) => driveDoc(id, 9)),
    );

    expect(bodies).toEqual(['refresh 0', 'refresh 1', 'refresh 2', 'refresh 3']);
    expect(fake.count('oauth.token')).toBe(1);
    expect(ctxs.flatMap((c) => c.saved)).toHaveLength(1);
  });

  it('given a token Google stopped accepting (401), 4 parallel downloads make exactly 1 token request', async () => {
    const ids = [0, 1, 2, 3].map((i) => fake.drive.addFile({ name: `u${i}.txt`, content: `rejected ${i}` }));
    const ctxs = contexts({ accessToken: fake.oauth.issueAccessToken() });
    fake.oauth.expireAccessTokens();

    const bodies = await downloadAll(
      ctxs,
      ids.map((id) => driveDoc(id, 10)),
    );

    expect(bodies).toEqual(['rejected 0', 'rejected 1', 'rejected 2', 'rejected 3']);
    expect(fake.count('drive.files.get')).toBe(8); // each download: one 401, one replay
    expect(fake.count('oauth.token')).toBe(1);
    expect(ctxs.flatMap((c) => c.saved)).toHaveLength(1);
  });
});

describe('stalled bodies', () => {
  it('a Drive download whose body stops mid-way fails with TransientError after requestTimeoutMs of silence', async () => {
    const content = Buffer.alloc(256 * 1024, 7);
    const id = fake.drive.addFile({ name: 'stall.bin', mimeType: 'application/octet-stream', content });
    fake.drive.stallContent(id, 64 * 1024);
    const ctx = makeContext(connector, { ...userAuth(fake), requestTimeoutMs: 500 });
    const progress: unknown[] = [];
    ctx.heartbeat = (details) => void progress.push(details);

    const result = await connector.retrieveData(ctx, driveDoc(id, content.length));
    const err = await failureOf(readAll(result.body));

    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toMatch(/gdrive files\.get for user alice \(doc .+\): no data for 500 ms after \d+ bytes/);
    expect(progress.length).toBeGreaterThan(0); // heartbeats reported the bytes that did arrive
    expect(progress.at(-1)).toMatchObject({ externalId: id });
  });

  it('a Docs export whose body stops mid-way fails the same way, and heals once the stall is gone', async () => {
    const id = fake.drive.addGoogleFile('document', 'Stalled doc', 'x'.repeat(100_000));
    fake.drive.stallContent(id, 1_000);
    const ctx = makeContext(connector, { ...userAuth(fake), requestTimeoutMs: 500 });
    const doc: DocMetadata = {
      externalId: id,
      title: 'Stalled doc',
      version: '1',
      extra: { googleMimeType: 'application/vnd.google-apps.document' },
    };

    const err = await failureOf(readAll((await connector.retrieveData(ctx, doc)).body));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toMatch(/files\.export .*no data for 500 ms/);

    fake.drive.stallContent(id, undefined);
    expect((await readAll((await connector.retrieveData(ctx, doc)).body)).length).toBe(100_000);
  });
});
