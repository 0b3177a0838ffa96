// Where the dev services' binaries are: PATH (plus extra dirs), an env override, pyenv shims resolved
// to the real executable. `bash scripts/install.sh` installs what these lookups expect.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const INSTALL_HINT = 'run `bash scripts/install.sh` (or see it for what to install)';

export function findOnPath(name: string, extraDirs: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs].filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/**
 * A pyenv shim is a bash script that picks a Python version from the cwd on every call; resolve it to
 * the real binary so the pid we track is the server's and a `.python-version` elsewhere cannot break it.
 */
function resolvePyenvShim(file: string, name: string): string {
  let head: string;
  try {
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(1024);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    fs.closeSync(fd);
    head = buf.subarray(0, n).toString('utf8');
  } catch {
    return file;
  }
  const pyenv = /exec "([^"]*\/pyenv)" exec/.exec(head)?.[1];
  if (!head.startsWith('#!') || !pyenv) return file;
  const root = /export PYENV_ROOT="([^"]+)"/.exec(head)?.[1];
  try {
    const real = execFileSync(pyenv, ['which', name], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      env: root ? { ...process.env, PYENV_ROOT: root } : process.env,
    }).trim();
    return real && fs.existsSync(real) ? fs.realpathSync(real) : file;
  } catch {
    return file; // the shim itself still works
  }
}

/** `$envVar` when set (it must exist), else `name` on PATH or in ~/.local/bin, pyenv shims resolved. */
export function findTool(name: string, envVar: string): string {
  const fromEnv = process.env[envVar];
  if (fromEnv) {
    if (!fs.existsSync(fromEnv)) throw new Error(`${envVar}=${fromEnv} does not exist`);
    return fromEnv;
  }
  // pip --user installs land in ~/.local/bin, which is often not on PATH.
  const found = findOnPath(name, [path.join(os.homedir(), '.local', 'bin')]);
  if (!found) throw new Error(`\`${name}\` not found on PATH (or set ${envVar}); ${INSTALL_HINT}`);
  return resolvePyenvShim(fs.realpathSync(found), name);
}
