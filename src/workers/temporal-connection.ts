// The one loader of Temporal connection settings for the worker, every CLI command and the codec server:
// `@temporalio/envconfig` (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*,
// TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE and the `temporal` CLI's TOML file), so one profile serves
// `temporal` and `docsync` alike; plus the one-line explanation of a refused connection.
import { loadClientConfigProfile, toClientOptions, type ClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';
import type { ConnectionOptions } from '@temporalio/client';
import tls from 'node:tls';
import { ConfigError } from '../core/errors.js';

const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';

/** Options both `Connection.connect` (client) and `NativeConnection.connect` (worker) take. */
export type TemporalConnectOptions = Pick<ConnectionOptions, 'tls' | 'metadata'> & { address: string; apiKey?: string };

export interface TemporalSettings {
  address: string;
  namespace: string;
  connect: TemporalConnectOptions;
  /** What authenticates this client, for messages: never the secrets themselves. */
  auth: { tls: boolean; clientCert?: string; apiKey: boolean; profile?: string };
}

function sourceName(source: ConfigDataSource | undefined, variable: string): string | undefined {
  if (!source) return undefined;
  return 'path' in source ? source.path : `${variable}_DATA`;
}

/** Reads the settings; a bad profile, file or half a certificate pair is a ConfigError naming what to fix. */
export function loadTemporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const vars = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  let profile: ClientConfigProfile;
  let options: ReturnType<typeof toClientOptions>;
  try {
    profile = loadClientConfigProfile({ overrideEnvVars: vars });
    const tls = profile.tls;
    // envconfig silently drops a certificate without its key (and the reverse): the server would then
    // refuse a client that believes it sent one.
    if (tls && !tls.disabled && !!tls.clientCert !== !!tls.clientKey) {
      const [has, lacks] = tls.clientCert ? ['certificate', 'key'] : ['key', 'certificate'];
      const variable = tls.clientCert ? 'TEMPORAL_TLS_CLIENT_KEY_PATH' : 'TEMPORAL_TLS_CLIENT_CERT_PATH';
      throw new ConfigError(
        `a TLS client ${has} is configured without its ${lacks}: set ${variable} (or client_${lacks === 'key' ? 'key' : 'cert'}_path in the profile)`,
        [variable],
      );
    }
    options = toClientOptions(profile);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const where = env.TEMPORAL_PROFILE ? `profile "${env.TEMPORAL_PROFILE}"` : 'the Temporal client configuration';
    throw new ConfigError(`cannot load ${where} (TEMPORAL_* variables, TEMPORAL_CONFIG_FILE): ${(err as Error).message.split('\n')[0]}`, [
      'TEMPORAL_PROFILE',
    ]);
  }
  const { connectionOptions: c } = options;
  const address = c.address ?? DEFAULT_TEMPORAL_ADDRESS;
  return {
    address,
    namespace: options.namespace ?? 'default',
    connect: { address, tls: c.tls, apiKey: c.apiKey as string | undefined, metadata: c.metadata },
    auth: {
      tls: !!c.tls,
      clientCert: sourceName(profile.tls?.clientCert, 'TEMPORAL_TLS_CLIENT_CERT'),
      apiKey: c.apiKey !== undefined,
      profile: env.TEMPORAL_PROFILE,
    },
  };
}

/** grpc-js and the native core word refusals differently; both carry these markers. */
const UNAUTHENTICATED = /UNAUTHENTICATED|\b16\b.*unauth|status code 401|\b401\b|api key|unauthori[sz]ed/i;
const CERT_REFUSED = /status code 400|\b400\b|\b49[56]\b|certificate required|bad certificate|unknown ca|certificate unknown|alert/i;
const SERVER_CERT =
  /self[- ]signed|unable to verify|unable to get local issuer|certificate verify failed|UnknownIssuer|invalid peer certificate|altnames|hostname/i;
const PLAINTEXT_TO_TLS = /wrong version number|packet length too long|http2 frame|Protocol error|ECONNRESET|Connection reset/i;

/** One line saying what the server refused (the client certificate, the API key, its own certificate...). */
function describeConnectionFailure(err: unknown, s: TemporalSettings): string {
  const e = err as Error & { cause?: Error };
  const detail = [e?.message ?? String(err), e?.cause?.message].filter(Boolean).join(': ').split('\n')[0];
  const at = `Temporal at ${s.address}${s.auth.profile ? ` (profile ${s.auth.profile})` : ''}`;
  if (s.auth.tls && SERVER_CERT.test(detail)) {
    return `${at}: its TLS server certificate is not trusted (${detail}): set TEMPORAL_TLS_SERVER_CA_CERT_PATH to the CA that signed it (and TEMPORAL_TLS_SERVER_NAME if the name differs)`;
  }
  if (UNAUTHENTICATED.test(detail)) {
    return s.auth.apiKey
      ? `${at} refused the API key (TEMPORAL_API_KEY): ${detail}`
      : `${at} requires authentication: set TEMPORAL_API_KEY (or a TLS client certificate) (${detail})`;
  }
  if (s.auth.tls && CERT_REFUSED.test(detail)) {
    return s.auth.clientCert
      ? `${at} refused the TLS client certificate ${s.auth.clientCert}: ${detail}`
      : `${at} requires a TLS client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH (${detail})`;
  }
  if (!s.auth.tls && PLAINTEXT_TO_TLS.test(detail)) {
    return `${at} closed the plaintext connection (${detail}): if it requires TLS, set TEMPORAL_TLS=true (and TEMPORAL_TLS_SERVER_CA_CERT_PATH for a private CA)`;
  }
  return `cannot reach ${at} (${detail}): start it (docsync dev) or set TEMPORAL_ADDRESS / TEMPORAL_PROFILE`;
}

/**
 * grpc-js reports an untrusted server certificate only as a connect deadline: a plain TLS handshake
 * with the same settings tells why. Undefined when the handshake succeeds (or TLS is off).
 */
function probeTls(s: TemporalSettings, timeoutMs = 3_000): Promise<string | undefined> {
  const config = s.connect.tls;
  if (!config) return Promise.resolve(undefined);
  const t = config === true ? {} : config;
  const [host, port] = [s.address.slice(0, s.address.lastIndexOf(':')), Number(s.address.slice(s.address.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    const socket = tls.connect({
      host,
      port,
      servername: t.serverNameOverride ?? (/^[\d.]+$/.test(host) ? undefined : host),
      ca: asBuffer(t.serverRootCACertificate),
      cert: asBuffer(t.clientCertPair?.crt),
      key: asBuffer(t.clientCertPair?.key),
      ALPNProtocols: ['h2'],
      timeout: timeoutMs,
    });
    const done = (result: string | undefined) => {
      socket.destroy();
      resolve(result);
    };
    socket.once('secureConnect', () => done(undefined));
    socket.once('error', (err) => done(err.message));
    socket.once('timeout', () => done(undefined));
  });
}

const asBuffer = (data: Uint8Array | undefined) => (data ? Buffer.from(data) : undefined);

/** The engine could not connect to Temporal (or the first call was refused); `cause` is the SDK's error. */
export class TemporalConnectFailure extends Error {
  constructor(cause: unknown) {
    super(`cannot connect to Temporal: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'TemporalConnectFailure';
  }
}

/** describeConnectionFailure, with the TLS handshake's own reason when the SDK gave none. */
export async function explainConnectionFailure(err: unknown, s: TemporalSettings): Promise<string> {
  const handshake = await probeTls(s);
  return describeConnectionFailure(handshake ? new Error(handshake, { cause: err }) : err, s);
}
