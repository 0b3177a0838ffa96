// `npm run build`: compiles src/ to dist/ (tsconfig.build.json) and copies the files tsc does not
// emit (SQL migrations, connector templates), so the compiled CLI and worker run on plain Node.
// `--out-dir <dir>` builds elsewhere (the build test does, to leave no dist/ behind).
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const flag = process.argv.indexOf('--out-dir');
const outDir = path.resolve(flag >= 0 ? process.argv[flag + 1] : path.join(root, 'dist'));
/** Source files next to the code that reads them at run time (relative to src/). */
const ASSETS = ['store/migrations', 'cli/templates'];

rmSync(outDir, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', outDir], { stdio: 'inherit' });
for (const asset of ASSETS) cpSync(path.join(root, 'src', asset), path.join(outDir, asset), { recursive: true });
console.log(`built ${path.relative(process.cwd(), outDir) || '.'}`);
