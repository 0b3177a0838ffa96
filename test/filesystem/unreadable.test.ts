// Unreadable files and folders, seen by an unprivileged user: root reads everything, so the
// scenario runs in a child process that drops to `nobody` (uid 65534) when started as root.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

let root: string;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'docsync-fs-perm-'));
  await fs.chmod(root, 0o755);
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

interface ChildReport {
  uid: number;
  listed: string[];
  warnings: { path: string; reason: string }[];
  error?: { name: string; message: string };
}

async function readAsUnprivileged(externalId: string): Promise<ChildReport> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', tsxLoader, path.join(here, 'read-as-user.ts'), root, externalId],
    { cwd: path.resolve(here, '../..'), timeout: 60_000 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildReport;
}

describe('unreadable content', () => {
  it('given a file without read permission, it is listed but retrieveData fails naming the path', async () => {
    await fs.writeFile(path.join(root, 'open.txt'), 'hello');
    await fs.writeFile(path.join(root, 'locked.txt'), 'secret');
    await fs.chmod(path.join(root, 'open.txt'), 0o644);
    await fs.chmod(path.join(root, 'locked.txt'), 0o000);
    const report = await readAsUnprivileged('locked.txt');
    expect(report.uid).not.toBe(0);
    expect(report.listed).toEqual(['locked.txt', 'open.txt']); // stat needs no read permission
    expect(report.error?.name).toBe('Error');
    expect(report.error?.message).toMatch(/^filesystem: cannot read "locked.txt" under .*: EACCES: permission denied/);
  });

  it('given a folder without permission, the walk warns, skips it and lists the rest', async () => {
    await fs.mkdir(path.join(root, 'private'));
    await fs.writeFile(path.join(root, 'private', 'hidden.txt'), 'secret');
    await fs.writeFile(path.join(root, 'public.txt'), 'hello');
    await fs.chmod(path.join(root, 'public.txt'), 0o644);
    await fs.chmod(path.join(root, 'private'), 0o000);
    const report = await readAsUnprivileged('public.txt');
    expect(report.listed).toEqual(['public.txt']);
    expect(report.error).toBeUndefined();
    expect(report.warnings).toEqual([
      expect.objectContaining({ path: 'private', reason: expect.stringMatching(/not readable \(EACCES\)/) }),
    ]);
  });
});
