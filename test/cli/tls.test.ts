// Secure Temporal connections from the standard environment configuration (@temporalio/envconfig): the
// dev server has no TLS, so nginx terminates TLS in front of it (certificates made here with openssl):
// one listener requires a client certificate (mTLS), one an `Authorization: Bearer` API key. The real
// worker and CLI connect through it with TEMPORAL_TLS_* / TEMPORAL_API_KEY or a TOML profile; every
// refusal is one line naming what was refused.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/devstack/ports.js';
import { cliEnv, docsync, DOCSYNC_BIN, type CliResult } from '../support/cli.js';
import { eventually, useHarness } from '../support/harness.js';
import { newSampleSource, seedThreeDocs } from '../support/sample.js';

const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'].find((p) => spawnSync(p, ['-v']).status === 0);
const API_KEY = 'test-api-key-0123456789';

const dir = mkdtempSync(path.join(os.tmpdir(), 'docsync-tls-'));
chmodSync(dir, 0o755); // nginx workers run as an unprivileged user
const file = (name: string) => path.join(dir, name);

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA and a certificate it signs (P-256 keys: quick to make). */
function makeCa(name: string): void {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
  );
}

function makeCert(name: string, ca: string, ext: string): void {
  writeFileSync(file(`${name}.ext`), `${ext}\n`);
  openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
  );
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    `${name}.pem`,
    '-extfile',
    `${name}.ext`,
  );
}

function nginxConf(ports: { mtls: number; key: number }, upstream: string): string {
  const tls = `ssl_certificate ${file('server.pem')}; ssl_certificate_key ${file('server.key')};`;
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${file(`tmp-${t}`)};`).join(' ');
  return `worker_processes 1;
pid ${file('nginx.pid')};
error_log ${file('nginx-error.log')} warn;
events { worker_connections 128; }
http {
  access_log off;
  ${temp}
  server {
    listen 127.0.0.1:${ports.mtls} ssl http2;
    ${tls}
    ssl_client_certificate ${file('ca.pem')};
    ssl_verify_client on;
    location / { grpc_pass grpc://${upstream}; }
  }
  server {
    listen 127.0.0.1:${ports.key} ssl http2;
    ${tls}
    location / {
      if ($http_authorization != "Bearer ${API_KEY}") { return 401; }
      grpc_pass grpc://${upstream};
    }
  }
}
`;
}

/** One line on stderr, no stack trace. */
function expectOneLineRefusal(result: CliResult, pattern: RegExp): void {
  expect(result.code).not.toBe(0);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

describe.skipIf(!NGINX)('Temporal behind TLS, mTLS and an API key (nginx found: ' + (NGINX ?? 'no, skipped') + ')', () => {
  const ports = { mtls: 0, key: 0 };
  let nginx: ReturnType<typeof spawn> | undefined;
  const source = newSampleSource();
  let base: NodeJS.ProcessEnv;
  let worker: ReturnType<typeof spawn> | undefined;
  let workerOut = '';
  const h = useHarness('tls', { setup: async (h) => void (base = cliEnv(h, source.dir)) });

  /** The harness env without its plain address, plus the given connection settings. */
  const env = (extra: Record<string, string>): NodeJS.ProcessEnv => {
    const e = { ...base, ...extra };
    if (!extra.TEMPORAL_ADDRESS) delete e.TEMPORAL_ADDRESS;
    return e;
  };
  const mtls = () => ({
    TEMPORAL_ADDRESS: `127.0.0.1:${ports.mtls}`,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('ca.pem'),
    TEMPORAL_TLS_SERVER_NAME: 'localhost',
    TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem'),
    TEMPORAL_TLS_CLIENT_KEY_PATH: file('client.key'),
  });

  beforeAll(async () => {
    makeCa('ca');
    makeCa('rogue-ca');
    makeCert('server', 'ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth');
    makeCert('client', 'ca', 'extendedKeyUsage=clientAuth');
    makeCert('rogue', 'rogue-ca', 'extendedKeyUsage=clientAuth');
    for (const t of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(file(`tmp-${t}`));
    ports.mtls = await freePort();
    ports.key = await freePort();
    writeFileSync(file('nginx.conf'), nginxConf(ports, inject('temporalAddress')));
    nginx = spawn(NGINX!, ['-c', file('nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
    // Ready once the mTLS listener answers a correctly authenticated CLI call.
    await eventually(async () => (await docsync(['status'], { env: env(mtls()) })).code === 0);
  }, 60_000);
  afterAll(() => {
    worker?.kill('SIGKILL');
    nginx?.kill('SIGTERM');
  });

  it('runs a worker and syncs through mTLS configured with TEMPORAL_TLS_* variables', async () => {
    await seedThreeDocs(source);
    const workerEnv = env({ ...mtls(), DOCSYNC_METRICS_PORT: '0', DOCSYNC_BLOB_DIR: path.join(source.dir, '.blobs') });
    // Kept for the file (afterAll stops it): the later tests query this sync through other settings.
    worker = spawn(process.execPath, [DOCSYNC_BIN, 'worker'], { env: workerEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    worker.stdout!.on('data', (d) => (workerOut += d));
    worker.stderr!.on('data', (d) => (workerOut += d));
    await eventually(async () => workerOut.includes('worker started'), 180_000); // bundles the workflows: slow on a busy machine

    const config = path.join(source.dir, 'tina.json');
    writeFileSync(config, JSON.stringify({ sourceDir: source.dir }));
    const sync = await docsync(['sync', 'sample', 'tina', '--config', config], { cwd: source.dir, env: env(mtls()) });
    expect(sync.stderr).toBe('');
    expect(sync.code).toBe(0);
    await eventually(async () =>
      (await docsync(['status', 'sample', 'tina', '--json'], { cwd: source.dir, env: env(mtls()) })).stdout.includes('"fetched": 3'),
    );
    expect(workerOut).toContain(`127.0.0.1:${ports.mtls}`);
  }, 300_000);

  it('reads the same settings from a temporal CLI profile file (TEMPORAL_PROFILE)', async () => {
    const toml = `[profile.secure]
address = "127.0.0.1:${ports.mtls}"
namespace = "${h.namespace}"
[profile.secure.tls]
client_cert_path = "${file('client.pem')}"
client_key_path = "${file('client.key')}"
server_ca_cert_path = "${file('ca.pem')}"
server_name = "localhost"

[profile.cloud]
address = "127.0.0.1:${ports.key}"
namespace = "${h.namespace}"
api_key = "${API_KEY}"
[profile.cloud.tls]
server_ca_cert_path = "${file('ca.pem')}"
server_name = "localhost"
`;
    writeFileSync(file('temporal.toml'), toml);
    const profileEnv = (profile: string) => {
      const e = env({ TEMPORAL_CONFIG_FILE: file('temporal.toml'), TEMPORAL_PROFILE: profile });
      delete e.TEMPORAL_NAMESPACE;
      return e;
    };
    for (const profile of ['secure', 'cloud']) {
      const status = await docsync(['status', 'sample', 'tina', '--json'], { env: profileEnv(profile) });
      expect(status.stderr).toBe('');
      expect(status.stdout).toContain('"fetched": 3');
    }
    expectOneLineRefusal(await docsync(['status'], { env: profileEnv('staging') }), /profile "staging".*not found/);
  });

  it('says which client certificate was refused, or that one is required', async () => {
    const wrong = await docsync(['status'], {
      env: env({ ...mtls(), TEMPORAL_TLS_CLIENT_CERT_PATH: file('rogue.pem'), TEMPORAL_TLS_CLIENT_KEY_PATH: file('rogue.key') }),
    });
    expectOneLineRefusal(wrong, /refused the TLS client certificate .*rogue\.pem/);
    expect(wrong.code).toBe(3);

    const { TEMPORAL_TLS_CLIENT_CERT_PATH: _c, TEMPORAL_TLS_CLIENT_KEY_PATH: _k, ...serverOnly } = mtls();
    expectOneLineRefusal(
      await docsync(['status'], { env: env(serverOnly) }),
      /requires a TLS client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH/,
    );

    const { TEMPORAL_TLS_CLIENT_KEY_PATH: _key, ...noKey } = mtls();
    const missingKey = await docsync(['status'], { env: env(noKey) });
    expectOneLineRefusal(missingKey, /client certificate is configured without its key: set TEMPORAL_TLS_CLIENT_KEY_PATH/);
    expect(missingKey.code).toBe(2);

    const untrusted = await docsync(['status'], { env: env({ ...mtls(), TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('rogue-ca.pem') }) });
    expectOneLineRefusal(untrusted, /TLS server certificate is not trusted.*TEMPORAL_TLS_SERVER_CA_CERT_PATH/);
  });

  it('authenticates with TEMPORAL_API_KEY and names a refused or missing key', async () => {
    const keyEnv = (extra: Record<string, string>) =>
      env({
        TEMPORAL_ADDRESS: `127.0.0.1:${ports.key}`,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('ca.pem'),
        TEMPORAL_TLS_SERVER_NAME: 'localhost',
        ...extra,
      });
    const ok = await docsync(['status', 'sample', 'tina', '--json'], { env: keyEnv({ TEMPORAL_API_KEY: API_KEY }) });
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain('"fetched": 3');
    expectOneLineRefusal(
      await docsync(['status'], { env: keyEnv({ TEMPORAL_API_KEY: 'wrong-key' }) }),
      /refused the API key \(TEMPORAL_API_KEY\)/,
    );
    expectOneLineRefusal(await docsync(['status'], { env: keyEnv({}) }), /requires authentication: set TEMPORAL_API_KEY/);
    // The worker says the same in one line and exits, instead of the SDK's raw error.
    const worker = await docsync(['worker'], {
      env: keyEnv({ TEMPORAL_API_KEY: 'wrong-key', DOCSYNC_METRICS_PORT: '0', LOG_LEVEL: 'warn' }),
    });
    expectOneLineRefusal(worker, /refused the API key \(TEMPORAL_API_KEY\)/);
    expect(worker.stderr).not.toContain('wrong-key');
  });
});
