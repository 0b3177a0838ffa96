// `docsync setup [--namespace <ns>] [--create-namespace [--retention-days <n>]]`: prepares a namespace
// for docsync on an existing Temporal (the dev server does this itself): registers the Docsync* search
// attributes through the operator service and, when asked, creates the namespace. Safe to re-run.
import { msToTs } from '@temporalio/common/lib/time.js';
import type { Command } from 'commander';
import { missingSearchAttributes, REQUIRED_SEARCH_ATTRIBUTES } from '../../workers/search-attributes.js';
import { CliError, EXIT, settings, temporalConnection } from '../context.js';

const GRPC = { alreadyExists: 6, notFound: 5, permissionDenied: 7 } as const;

interface SetupFlags {
  namespace?: string;
  createNamespace?: boolean;
  retentionDays: string;
}

const grpcCode = (err: unknown) => (err as { code?: number }).code;

async function namespaceExists(namespace: string): Promise<boolean> {
  const connection = await temporalConnection();
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch (err) {
    if (grpcCode(err) === GRPC.notFound) return false;
    throw err;
  }
}

async function createNamespace(namespace: string, retentionDays: number): Promise<boolean> {
  const connection = await temporalConnection();
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`),
    });
    return true;
  } catch (err) {
    if (grpcCode(err) === GRPC.alreadyExists) return false;
    throw err;
  }
}

async function addSearchAttributes(namespace: string, names: string[]): Promise<void> {
  const connection = await temporalConnection();
  const wanted = Object.fromEntries(names.map((n) => [n, REQUIRED_SEARCH_ATTRIBUTES[n]]));
  try {
    await retryWhileNotFound(() => connection.operatorService.addSearchAttributes({ namespace, searchAttributes: wanted }));
  } catch (err) {
    if (grpcCode(err) === GRPC.alreadyExists) return; // another setup got there first
    if (grpcCode(err) === GRPC.permissionDenied)
      throw new CliError(
        `not allowed to add search attributes to "${namespace}": ask its administrator (Temporal Cloud: the Cloud UI or tcld) to add ${names.join(', ')}`,
        EXIT.failed,
      );
    throw err;
  }
}

async function runSetup(flags: SetupFlags): Promise<string[]> {
  const namespace = flags.namespace ?? settings().namespace;
  const retentionDays = Number(flags.retentionDays);
  if (!Number.isInteger(retentionDays) || retentionDays <= 0)
    throw new CliError(`--retention-days must be a positive whole number, got "${flags.retentionDays}"`, EXIT.usage);
  const lines: string[] = [];
  if (!(await namespaceExists(namespace))) {
    if (!flags.createNamespace)
      throw new CliError(
        `namespace "${namespace}" does not exist: create it with \`docsync setup --namespace ${namespace} --create-namespace\``,
        EXIT.notFound,
      );
    if (await createNamespace(namespace, retentionDays)) lines.push(`created namespace ${namespace} (retention ${retentionDays} days)`);
  } else lines.push(`namespace ${namespace} exists`);
  const missing = await retryWhileNotFound(async () => missingSearchAttributes(await temporalConnection(), namespace));
  if (missing.length) {
    await addSearchAttributes(namespace, missing);
    lines.push(`registered search attributes ${missing.join(', ')}`);
  }
  const present = Object.keys(REQUIRED_SEARCH_ATTRIBUTES).filter((n) => !missing.includes(n));
  if (present.length) lines.push(`already registered: ${present.join(', ')}`);
  return lines;
}

/** A namespace just registered takes a moment to reach every frontend: retry while it reads as missing. */
async function retryWhileNotFound<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (grpcCode(err) !== GRPC.notFound || attempt >= 50) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

export function registerSetupCommand(program: Command): void {
  program
    .command('setup')
    .description(
      'prepare a namespace for docsync: register the Docsync* search attributes (and create the namespace with --create-namespace)',
    )
    .option('--namespace <ns>', "namespace to prepare (default: TEMPORAL_NAMESPACE or the profile's)")
    .option('--create-namespace', 'create the namespace when it does not exist (needs the right to register namespaces)')
    .option('--retention-days <n>', 'retention of closed workflows for a namespace created here', '7')
    .action(async (flags: SetupFlags) => console.log((await runSetup(flags)).join('\n')));
}
