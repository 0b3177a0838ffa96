// A sorted, depth-first walk of regular files under a root that can resume after any relative
// path it emitted: directory entries are visited in name order, so "after a/b.txt" means
// "skip every entry that sorts before or at a/b.txt, segment by segment". Nothing but the
// last emitted path is needed to resume, which keeps the milestone small.
import type { Dirent, Stats } from 'node:fs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { compareNames } from './paths.js';

export interface WalkedFile {
  /** Path relative to root, POSIX separators. */
  rel: string;
  stat: Stats;
}

export interface WalkOptions {
  root: string;
  /** Resume strictly after this relative path (one the walk emitted before). */
  after?: string;
  followSymlinks: boolean;
  /** A directory (relative path) that must not be entered. */
  skipDir(rel: string): boolean;
  /** A file (relative path) that is listed. */
  listFile(rel: string): boolean;
  /** Entries skipped for a reason worth telling (loops, unreadable directories, broken links). */
  warn(details: { path: string; reason: string }): void;
  signal?: AbortSignal;
}

/** Far deeper than real trees; stops pathological (non-loop) link chains. */
const MAX_DEPTH = 256;

export async function* walkFiles(options: WalkOptions): AsyncGenerator<WalkedFile> {
  const rootStat = await fs.stat(options.root);
  const after = options.after ? options.after.split('/') : undefined;
  yield* walkDir(options, options.root, '', after, [inode(rootStat)]);
}

async function* walkDir(
  options: WalkOptions,
  absDir: string,
  relDir: string,
  after: string[] | undefined,
  ancestors: string[],
): AsyncGenerator<WalkedFile> {
  const entries = await readDir(options, absDir, relDir);
  for (const entry of entries) {
    options.signal?.throwIfAborted();
    const name = entry.name;
    // Resume: entries sorting before the cursor segment were emitted on earlier pages.
    let childAfter: string[] | undefined;
    if (after) {
      const order = compareNames(name, after[0]);
      if (order < 0) continue;
      if (order === 0) childAfter = after.length > 1 ? after.slice(1) : [];
    }
    const rel = relDir ? `${relDir}/${name}` : name;
    const abs = path.join(absDir, name);
    const stat = await statEntry(options, entry, abs, rel);
    if (!stat) continue;

    if (stat.isDirectory()) {
      if (options.skipDir(rel)) continue;
      const id = inode(stat);
      if (ancestors.includes(id)) {
        options.warn({ path: rel, reason: 'symlink loop: the link leads back to one of its own parent directories' });
        continue;
      }
      if (ancestors.length > MAX_DEPTH) {
        options.warn({ path: rel, reason: `deeper than ${MAX_DEPTH} levels` });
        continue;
      }
      // A cursor equal to this directory's own path (it was a file then) resumes at its start.
      const inner = childAfter && childAfter.length > 0 ? childAfter : undefined;
      yield* walkDir(options, abs, rel, inner, [...ancestors, id]);
    } else if (stat.isFile()) {
      if (childAfter) continue; // this path is the cursor itself, or sorts before it
      if (options.listFile(rel)) yield { rel, stat };
    }
    // Sockets, FIFOs and devices are never documents (reading a FIFO would block).
  }
}

async function readDir(options: WalkOptions, absDir: string, relDir: string): Promise<Dirent[]> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(absDir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Gone since it was seen (deleted mid-walk, or the cursor's directory was removed): nothing to list.
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      options.warn({ path: relDir || '.', reason: `directory not readable (${code ?? (err as Error).message})` });
    }
    return [];
  }
  return entries.sort((a, b) => compareNames(a.name, b.name));
}

/** Stats an entry (through a link when following links); undefined = skip it. */
async function statEntry(options: WalkOptions, entry: Dirent, abs: string, rel: string): Promise<Stats | undefined> {
  if (entry.isSymbolicLink() && !options.followSymlinks) return undefined;
  if (!entry.isSymbolicLink() && !entry.isFile() && !entry.isDirectory()) return undefined;
  try {
    return await fs.stat(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !entry.isSymbolicLink()) return undefined; // deleted since readdir
    options.warn({ path: rel, reason: entry.isSymbolicLink() ? `broken symlink (${code})` : `cannot stat (${code})` });
    return undefined;
  }
}

function inode(stat: Stats): string {
  return `${stat.dev}:${stat.ino}`;
}
