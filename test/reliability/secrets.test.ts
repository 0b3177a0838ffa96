// No secret leaks, end to end: a full Dropbox sync with recognisable random credentials, an
// expired access token refreshed, an SDK error echoing the Authorization header and tokens, and
// a revoked refresh token (auth failure, then resume). Every workflow history of the run (dumped
// with the real `temporal` CLI), every worker log line, the documents' errors and the sync_runs
// rows are searched for each secret, raw, base64, base64url and URL-encoded.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { temporalCliPath } from '../../src/devstack/temporal.js';
import type { SyncStatus } from '../../src/workflows/types.js';
import { FakeDropbox } from '../fakes/dropbox/server.js';
import { signalSync } from '../../src/workflows/client.js';
import { eventually, useHarness } from '../support/harness.js';

const exec = promisify(execFile);

/** Every encoding a secret could hide in: raw, URL-encoded, and base64/base64url at each byte alignment. */
function forms(secret: string): string[] {
  const out = new Set([secret, encodeURIComponent(secret)]);
  for (let k = 0; k < 3; k++) {
    const b64 = Buffer.concat([Buffer.alloc(k, 0x20), Buffer.from(secret)]).toString('base64');
    const core = b64.slice(k ? 4 : 0, -4); // the characters that depend on the secret alone
    out.add(core);
    out.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...out];
}

/** Payload `data` fields are base64: decode them all so JSON-encoded secrets inside are visible too. */
function decodedPayloads(value: unknown, into: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) decodedPayloads(v, into);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'data' && typeof v === 'string') into.push(Buffer.from(v, 'base64').toString('utf8'));
      else decodedPayloads(v, into);
    }
  }
  return into;
}

/** `temporal ... -o json` prints one JSON document, or JSON lines for some commands. */
function parseJsonOutput(stdout: string): unknown[] {
  try {
    const value = JSON.parse(stdout) as unknown;
    return Array.isArray(value) ? value : [value];
  } catch {
    return stdout
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as unknown);
  }
}

describe('secrets never leak', () => {
  const logLines: string[] = [];
  const fake = new FakeDropbox({
    appSecret: `appsecret-${randomBytes(18).toString('hex')}`,
    refreshToken: `refreshtoken-${randomBytes(24).toString('base64url')}`,
  });
  let fakeUrl = '';
  const sink = new Writable({ write: (chunk, _enc, done) => void (logLines.push(String(chunk)), done()) });
  const h = useHarness('secrets', {
    worker: { logger: pino({ level: 'trace' }, sink) },
    setup: async () => {
      fakeUrl = (await fake.start()).url;
    },
    teardown: () => fake.stop(),
  });

  async function temporal(...args: string[]): Promise<string> {
    const { stdout } = await exec(temporalCliPath(), [...args, '--address', h.address, '--namespace', h.namespace, '-o', 'json'], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  }

  it('given a full sync with a token refresh, an echoing SDK error and an auth failure, no secret appears in histories, logs, errors or the database', async () => {
    const initialToken = fake.issueAccessToken();
    fake.expireAccessToken(initialToken); // the first call gets 401 expired_access_token → refresh
    for (let i = 1; i <= 4; i++) fake.addFile(`/Private/doc-${i}.txt`, `private text ${i}`);
    // A server error body that echoes the request's credentials (some proxies do): twice, so one document is parked with it.
    const echo = `proxy echo: Authorization: Bearer ${initialToken} client_secret=${fake.appSecret}&refresh_token=${fake.refreshToken}`;
    fake.inject('/2/files/download', { kind: 'server-error', status: 500, text: echo }, { times: 2 });
    const credentialRef = await h.credentials.save('dropbox', 'sam', {
      appKey: fake.appKey,
      appSecret: fake.appSecret,
      refreshToken: fake.refreshToken,
      accessToken: initialToken,
      accessTokenExpiresAt: new Date(Date.now() + 4 * 3600_000).toISOString(),
    });
    const handle = await h.startSync({
      connector: 'dropbox',
      userId: 'sam',
      credentialRef,
      config: { apiBaseUrl: fakeUrl, pageSize: 2 },
      // One child at a time, no batches: the two echoing errors then both hit the first document.
      options: { syncIntervalSeconds: 3600, docMaxAttempts: 2, maxInFlight: 1, batchSize: 1 },
    });
    let last: SyncStatus | undefined;
    const when = (check: (s: SyncStatus) => boolean) =>
      eventually(async () => {
        const s = (last = await h.status(handle));
        return check(s) && s;
      }, 90_000).catch((err: Error) => {
        throw new Error(
          `${err.message}; last status: ${JSON.stringify(last)}; requests: ${fake.requests.map((r) => `${r.route}:${r.status}`).join(' ')}`,
        );
      });
    const first = await when((s) => s.phase === 'idle' && s.inFlight === 0 && s.counters.fetched === 3 && s.counters.failed === 1);
    const parked = (await h.pool.query("SELECT error FROM documents WHERE user_id = 'sam' AND status = 'failed'")).rows;
    expect(parked).toHaveLength(1);
    expect(parked[0].error).toContain('Bearer [redacted]'); // scrubbed, not dropped: the error is still useful

    // Auth failure: the refresh token is revoked while the access token expires.
    fake.revokeRefreshToken();
    fake.expireAccessToken();
    fake.addFile('/Private/doc-5.txt', 'private text 5');
    await signalSync(handle, 'syncNow');
    const refused = await when((s) => s.phase === 'auth-failed');
    expect(refused.lastError).toMatch(/oauth2\/token .*HTTP 400.*rejected/);
    fake.restoreRefreshToken();
    await signalSync(handle, 'resume');
    await when((s) => s.phase === 'idle' && s.inFlight === 0 && s.counters.fetched === 5 && s.lastSyncAt !== first.lastSyncAt);
    await signalSync(handle, 'cancel');
    await handle.result();

    const secrets = [fake.appSecret, fake.refreshToken, ...fake.issuedTokens];
    expect(fake.issuedTokens.length).toBeGreaterThanOrEqual(3); // initial + a refresh per expiry

    // Every workflow of this run, every run of each, through the real temporal CLI.
    type Listed = { execution: { workflowId: string; runId: string }; status: string };
    // Visibility lags behind: wait until the closed sync workflow and all its document children are listed.
    const executions = await eventually(
      async () => {
        const all = parseJsonOutput(await temporal('workflow', 'list', '--query', `TaskQueue = '${h.taskQueue}'`)) as Listed[];
        const docs = all.filter((e) => e.execution.workflowId.startsWith('doc/dropbox/sam/'));
        const sync = all.find((e) => e.execution.workflowId === handle.workflowId && !/RUNNING/.test(e.status));
        return docs.length >= 6 && sync && all;
      },
      30_000,
      500,
    );
    const histories: string[] = [];
    for (const { execution } of executions) {
      histories.push(await temporal('workflow', 'show', '--workflow-id', execution.workflowId, '--run-id', execution.runId));
    }
    const historyText = histories.join('\n');
    const decoded = histories.flatMap((text) => decodedPayloads(JSON.parse(text))).join('\n');
    expect(decoded).toContain('proxy echo: Authorization: Bearer [redacted]'); // the failure really reached history
    expect(decoded).toContain(credentialRef); // workflows carry the reference...

    const db = async (sql: string) => JSON.stringify((await h.pool.query(sql)).rows);
    const places: Record<string, string> = {
      'workflow histories': historyText,
      'decoded history payloads': decoded,
      'worker logs': logLines.join(''),
      'documents.error': await db("SELECT external_id, error FROM documents WHERE user_id = 'sam'"),
      sync_runs: await db("SELECT * FROM sync_runs WHERE user_id = 'sam'"),
      'credentials.ciphertext': await db("SELECT ciphertext FROM credentials WHERE user_id = 'sam'"),
    };
    expect(logLines.length).toBeGreaterThanOrEqual(6); // pages stored, refreshes, the parked document
    expect(places['worker logs']).toContain('dropbox access token expired; refreshing');
    // The detector itself works: a secret inside a base64 JSON payload or a URL would be found.
    const probe = fake.refreshToken;
    for (const hidden of [Buffer.from(JSON.stringify({ x: 1, probe })).toString('base64'), `?refresh_token=${encodeURIComponent(probe)}`]) {
      expect(forms(probe).some((form) => hidden.includes(form))).toBe(true);
    }
    for (const [place, text] of Object.entries(places)) {
      for (const secret of secrets) {
        for (const form of forms(secret)) {
          expect(text.includes(form), `${place} contains a form of a secret (${secret.slice(0, 6)}…): ${form.slice(0, 12)}…`).toBe(false);
        }
      }
    }
    // ...and the store still decrypts to the refreshed token (encrypted at rest, not lost).
    const stored = await h.credentials.load(credentialRef);
    expect(stored.secrets.accessToken).toBe(fake.issuedTokens.at(-1));
  });
});
