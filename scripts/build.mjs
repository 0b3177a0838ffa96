// `npm run build`: compiles src/ to dist/ (tsconfig.build.json), copies the files tsc does not emit
// (SQL migrations, connector templates), then bundles the compiled workflows once into
// dist/workflow-bundle.js (+ a manifest of what it was made from), so the compiled CLI and worker run
// on plain Node with production dependencies only and never bundle at start.
// `--out-dir <dir>` builds elsewhere (the tests do, to leave no dist/ behind; keep it inside the
// checkout so node_modules resolves).
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const flag = process.argv.indexOf('--out-dir');
const outDir = path.resolve(flag >= 0 ? process.argv[flag + 1] : path.join(root, 'dist'));
/** Source files next to the code that reads them at run time (relative to src/). */
const ASSETS = ['store/migrations', 'cli/templates'];

rmSync(outDir, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', outDir], { stdio: 'inherit' });
for (const asset of ASSETS) cpSync(path.join(root, 'src', asset), path.join(outDir, asset), { recursive: true });
// The compiled module does the bundling, so the build and the worker's staleness check share one hash.
const { writeWorkflowBundle } = await import(pathToFileURL(path.join(outDir, 'workers', 'workflow-bundle.js')).href);
const bundle = await writeWorkflowBundle(outDir);
console.log(`built ${path.relative(process.cwd(), outDir) || '.'} (workflow bundle ${(bundle.bytes / 2 ** 20).toFixed(1)} MiB)`);
