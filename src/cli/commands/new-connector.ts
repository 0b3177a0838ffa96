// `docsync new-connector <name> [--dir <path>]`: scaffolds a connector plugin (contract + zod config
// schema) and a test that runs the conformance kit against it, from the templates next to this CLI.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CliError, EXIT } from '../context.js';

const TEMPLATES = new URL('../templates/connector/', import.meta.url);

export interface ScaffoldResult {
  dir: string;
  files: string[];
  exportName: string;
}

export function scaffoldConnector(name: string, parentDir: string): ScaffoldResult {
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name)) {
    throw new CliError(
      `connector name "${name}" must be lower-case letters and digits, words joined by "-" (e.g. "notion" or "my-wiki")`,
      EXIT.usage,
    );
  }
  const pascal = name
    .split('-')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
  const names = { __name__: name, __Pascal__: pascal, __camel__: pascal[0].toLowerCase() + pascal.slice(1) };
  const dir = path.resolve(parentDir, name);
  if (existsSync(dir)) throw new CliError(`${dir} already exists: pick another name or --dir`, EXIT.usage);
  mkdirSync(dir, { recursive: true });
  const files = ['connector.ts', 'connector.test.ts'].map((file) => {
    let text = readFileSync(new URL(`${file}.tmpl`, TEMPLATES), 'utf8');
    for (const [placeholder, value] of Object.entries(names)) text = text.replaceAll(placeholder, value);
    writeFileSync(path.join(dir, file), text);
    return path.join(dir, file);
  });
  return { dir, files, exportName: `${pascal}Connector` };
}

export function registerNewConnectorCommand(program: Command): void {
  program
    .command('new-connector <name>')
    .description('scaffold a connector plugin and a conformance test for it')
    .option('--dir <path>', 'parent folder of the new connector folder', 'connectors')
    .action((name: string, flags: { dir: string }) => {
      const { dir, files, exportName } = scaffoldConnector(name, flags.dir);
      const spec = `./${path.relative(process.cwd(), path.join(dir, 'connector.ts'))}#${exportName}`;
      console.log(files.map((f) => `created ${path.relative(process.cwd(), f)}`).join('\n'));
      console.log(`\nnext steps, in an ES module project ("type": "module") with docsync, zod and vitest installed:
  run the conformance kit:  npx vitest run ${path.relative(process.cwd(), files[1])}
  sync with it:             docsync sync '${spec}' <user> --config <file>
                            (workers started in this folder load it by that module specifier)`);
    });
}
