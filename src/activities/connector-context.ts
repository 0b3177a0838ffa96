// Builds a connector and its context for one activity call: loads the connector by name,
// merges non-secret config with decrypted credentials, validates it, and wires heartbeats and the
// credential's rate-limit gate (shared by every worker through Postgres when the engine has a pool).
import { Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { withAppQuota } from '../connectors/shared/app-quota.js';
import { RateLimitGate } from '../connectors/shared/rate-limit-gate.js';
import { parseConnectorConfig, rejectSecretsInInput } from '../connectors/config.js';
import { loadConnector } from '../connectors/registry.js';
import type { Connector, ConnectorContext, JsonObject } from '../core/contract.js';
import { ConfigError } from '../core/errors.js';
import type { CredentialStore } from '../store/credentials.js';
import { readRateLimitHold, recordRateLimitHold } from '../store/rate-limit-holds.js';
import type { ConnectorRef } from '../core/refs.js';

export interface PreparedConnector {
  connector: Connector<unknown>;
  ctx: ConnectorContext<unknown>;
}

export async function prepareConnector(
  ref: ConnectorRef,
  deps: { credentials?: CredentialStore; logger: Logger; pool?: Pool },
): Promise<PreparedConnector> {
  const connector = await loadConnector(ref.connector);
  rejectSecretsInInput(connector, ref);
  let secrets: JsonObject = {};
  if (ref.credentialRef) {
    if (!deps.credentials) {
      throw new ConfigError('this worker has no credential store (DOCSYNC_SECRET_KEY unset)', ['credentialRef']);
    }
    const record = await deps.credentials.load(ref.credentialRef);
    if (record.connector !== ref.connector || record.userId !== ref.userId) {
      throw new ConfigError(
        `credential ref "${ref.credentialRef}" belongs to ${record.connector}/${record.userId}, not ${ref.connector}/${ref.userId}`,
        ['credentialRef'],
      );
    }
    secrets = record.secrets;
  }
  const config = parseConnectorConfig(connector, { ...(ref.config ?? {}), ...secrets });
  const activity = activityContextOrUndefined();
  const logger = deps.logger.child({
    connector: ref.connector,
    userId: ref.userId,
    workflowId: activity?.info.workflowExecution?.workflowId,
    activity: activity?.info.activityType,
  });
  const gate = rateLimitGateFor(deps);
  const credentialKey = credentialKeyOf(ref);
  // Another worker may have been told to wait since our last call: pick its hold up before any request.
  await gate.refresh(credentialKey);
  const ctx: ConnectorContext<unknown> = {
    userId: ref.userId,
    config,
    logger,
    signal: activity?.cancellationSignal ?? new AbortController().signal,
    heartbeat: (details) => activity?.heartbeat(details),
    saveCredentials: async (patch) => {
      if (ref.credentialRef && deps.credentials) await deps.credentials.update(ref.credentialRef, patch);
    },
    // The app's budget across all users (connectors/shared/app-quota.ts) in front of the credential's gate.
    rateLimitGate: withAppQuota(
      gate.forCredential(credentialKey, { connector: ref.connector, userId: ref.userId }),
      deps.pool,
      ref.connector,
      activity?.cancellationSignal,
    ),
  };
  return { connector, ctx };
}

/** Providers rate-limit per credential; a sync without a stored credential is keyed by connector and user. */
export function credentialKeyOf(ref: ConnectorRef): string {
  return ref.credentialRef ? `credential:${ref.credentialRef}` : `user:${ref.connector}/${ref.userId}`;
}

/** One gate per database (= per deployment) in this process; without a pool, a process-only gate. */
const gates = new WeakMap<Pool, RateLimitGate>();
const processGate = new RateLimitGate();

function rateLimitGateFor(deps: { logger: Logger; pool?: Pool }): RateLimitGate {
  const { pool } = deps;
  if (!pool) return processGate;
  let gate = gates.get(pool);
  if (!gate) {
    gate = new RateLimitGate(
      { read: (key) => readRateLimitHold(pool, key), record: (key, at) => recordRateLimitHold(pool, key, at) },
      (err) => deps.logger.warn({ error: (err as Error)?.message }, 'rate-limit hold store unavailable; holding in this process only'),
    );
    gates.set(pool, gate);
  }
  return gate;
}

function activityContextOrUndefined(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Heartbeats every `intervalMs` while `work` runs, so a dead worker is noticed within the heartbeat timeout. */
export async function withHeartbeats<T>(work: () => Promise<T>, intervalMs = 5_000): Promise<T> {
  const activity = activityContextOrUndefined();
  const timer = activity ? setInterval(() => activity.heartbeat(), intervalMs) : undefined;
  try {
    return await work();
  } finally {
    if (timer) clearInterval(timer);
  }
}
