// Connectors by name. Built-ins are listed here; third-party connectors load by module
// specifier ("my-pkg#MyConnector" or "./path/to/file.js#Export").
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import type { Connector } from '../core/contract.js';
import { ConfigError } from '../core/errors.js';

/** A connector of any config and milestone type: the registry holds them all side by side. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyConnector = Connector<any, any>;

export type ConnectorFactory = () => AnyConnector | Promise<AnyConnector>;

// Loaded on first use: the provider SDKs cost hundreds of milliseconds to import.
const builtIns = new Map<string, ConnectorFactory>([
  ['sample', async () => new (await import('./sample/connector.js')).SampleConnector()],
  ['dropbox', async () => new (await import('./dropbox/connector.js')).DropboxConnector()],
  ['gdrive', async () => new (await import('./gdrive/connector.js')).GdriveConnector()],
  ['gmail', async () => new (await import('./gmail/connector.js')).GmailConnector()],
  ['filesystem', async () => new (await import('./filesystem/connector.js')).FilesystemConnector()],
]);

/**
 * Built-in connectors hold no per-call state (config and credentials come in the context), so one
 * instance per process serves every activity: no module import or construction per call.
 * Registered factories are called each time: a plugin may keep state in its instance.
 */
const builtInNames = new Set(builtIns.keys());
const builtInInstances = new Map<string, Promise<AnyConnector>>();

export function registerConnector(name: string, factory: ConnectorFactory): void {
  builtIns.set(name, factory);
  builtInNames.delete(name);
  builtInInstances.delete(name);
}

export function connectorNames(): string[] {
  return [...builtIns.keys()].sort();
}

export function isConnector(value: unknown): value is AnyConnector {
  const c = value as AnyConnector | undefined;
  return (
    !!c &&
    typeof c.name === 'string' &&
    typeof c.retrieveMetadata === 'function' &&
    typeof c.retrieveData === 'function' &&
    typeof (c.configSchema as { safeParse?: unknown })?.safeParse === 'function'
  );
}

/** Builds a connector by built-in name or module specifier; unknown names give a ConfigError listing the choices. */
export async function loadConnector(spec: string): Promise<AnyConnector> {
  const builtIn = builtIns.get(spec);
  if (builtIn && builtInNames.has(spec)) {
    let instance = builtInInstances.get(spec);
    if (!instance) {
      instance = Promise.resolve(builtIn());
      instance.catch(() => builtInInstances.delete(spec)); // a failed import may succeed on a later call
      builtInInstances.set(spec, instance);
    }
    return instance;
  }
  if (builtIn) return builtIn();
  if (!spec.includes('#')) {
    throw new ConfigError(
      `unknown connector "${spec}": built-ins are ${connectorNames().join(', ')}; plugins are named "module#Export"`,
      ['connector'],
      { connector: spec },
    );
  }
  const [moduleSpec, exportName] = spec.split('#', 2);
  const resolved = moduleSpec.startsWith('.') || path.isAbsolute(moduleSpec) ? pathToFileURL(path.resolve(moduleSpec)).href : moduleSpec;
  let mod: Record<string, unknown>;
  try {
    mod = await import(resolved);
  } catch (err) {
    throw new ConfigError(`cannot load connector module "${moduleSpec}": ${(err as Error).message}`, ['connector'], {
      connector: spec,
    });
  }
  const exported = mod[exportName];
  const instance = typeof exported === 'function' ? new (exported as new () => unknown)() : exported;
  if (!isConnector(instance)) {
    throw new ConfigError(
      `"${spec}" is not a docsync connector (needs name, configSchema, retrieveMetadata, retrieveData)`,
      ['connector'],
      { connector: spec },
    );
  }
  return instance;
}
