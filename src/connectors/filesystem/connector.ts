// The filesystem connector: documents are the regular files under `root`, identified by their
// path relative to root (POSIX separators), versioned by `${size}-${mtimeMs}`.
//
// Incremental design: every sync is one full walk, stat-only (no file is read while listing),
// paged and resumable. The milestone holds the last path emitted ({walk: {after, startedAt}}),
// never a list of paths, so it stays tiny whatever the tree size. The first page of each walk
// says `reset: true`: the engine stamps every row it sees during the walk and, once the last
// page (hasMore: false) is stored, tombstones the rows not seen (mark-and-sweep), which is how
// deletions are found. Unchanged files keep their version, so the engine fetches nothing for them;
// a changed size or mtime gives a new version and one re-read. A walk costs one readdir per
// directory and one stat per entry (tens of thousands of files per second on a local disk).
// No watcher: inotify-style change feeds miss changes made while no process runs and need
// per-directory state far beyond what a milestone may hold.
import { constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Connector, ConnectorContext, DataResult, DocMetadata, MetadataPage, Milestone } from '../../core/contract.js';
import { ConfigError, NotFoundError } from '../../core/errors.js';
import { createPathFilter } from '../shared/glob.js';
import { guessMimeType } from '../shared/mime.js';
import { filesystemConfigSchema, type FilesystemConfig } from './config.js';
import { isInside, resolveExternalId } from './paths.js';
import { refuseEmptiedRoot, requireRoot } from './source-root.js';
import { walkFiles, type WalkedFile } from './walk.js';

/** A walk in progress and/or the last finished one; anything unreadable starts a new walk (every walk resets). */
export const filesystemMilestoneSchema = z
  .object({
    walk: z.object({ after: z.string().optional(), startedAt: z.string(), listed: z.number().int().default(0) }).optional(),
    lastWalk: z.object({ startedAt: z.string(), finishedAt: z.string(), listed: z.number().int() }).optional(),
  })
  .catch({});
type FilesystemMilestone = z.output<typeof filesystemMilestoneSchema>;

const HEARTBEAT_EVERY = 500;

export class FilesystemConnector implements Connector<FilesystemConfig, FilesystemMilestone> {
  readonly name = 'filesystem';
  readonly configSchema = filesystemConfigSchema;
  readonly milestoneSchema = filesystemMilestoneSchema;

  async ping(ctx: ConnectorContext<FilesystemConfig>): Promise<void> {
    try {
      await fs.access(ctx.config.root, fsConstants.R_OK | fsConstants.X_OK);
    } catch (err) {
      throw new ConfigError(`filesystem root ${ctx.config.root} is not readable: ${(err as Error).message}`, ['root'], {
        connector: this.name,
      });
    }
  }

  async retrieveMetadata(ctx: ConnectorContext<FilesystemConfig>, previous: FilesystemMilestone): Promise<MetadataPage> {
    const { root, pageSize } = ctx.config;
    const starting = !previous.walk;
    const walk = previous.walk ?? { startedAt: new Date().toISOString(), listed: 0 };
    await requireRoot(root);

    const upserts: DocMetadata[] = [];
    let hasMore = false;
    // Warnings met while looking for the next page's first file are kept back: that stretch is
    // walked again by the next page, and each skipped entry should be reported once per walk.
    const heldBack: { path: string; reason: string }[] = [];
    const warn = (details: { path: string; reason: string }) => {
      if (upserts.length === pageSize) heldBack.push(details);
      else ctx.logger.warn({ connector: this.name, ...details }, 'filesystem entry skipped');
    };
    for await (const file of walkFiles({
      root,
      after: walk.after,
      followSymlinks: ctx.config.followSymlinks,
      ...this.filters(ctx.config),
      warn,
      signal: ctx.signal,
    })) {
      if (upserts.length === pageSize) {
        hasMore = true; // one more file exists; it opens the next page
        break;
      }
      upserts.push(toMetadata(file));
      if (upserts.length % HEARTBEAT_EVERY === 0) ctx.heartbeat({ after: file.rel });
    }
    if (!hasMore) for (const details of heldBack) ctx.logger.warn({ connector: this.name, ...details }, 'filesystem entry skipped');

    const listed = walk.listed + upserts.length;
    if (!hasMore) {
      // The walk skips directories that vanish under it: a root gone mid-walk would look like an end.
      await requireRoot(root);
      refuseEmptiedRoot(root, listed, previous.lastWalk?.listed);
    }
    const milestone: FilesystemMilestone = hasMore
      ? { walk: { after: upserts.at(-1)!.externalId, startedAt: walk.startedAt, listed } }
      : { lastWalk: { startedAt: walk.startedAt, finishedAt: new Date().toISOString(), listed } };
    return { upserts, deletes: [], milestone: milestone as Milestone, hasMore, reset: starting };
  }

  async retrieveData(ctx: ConnectorContext<FilesystemConfig>, doc: DocMetadata): Promise<DataResult> {
    const { root, followSymlinks } = ctx.config;
    const rel = doc.externalId;
    const abs = resolveExternalId(root, rel);
    const fail = (err: unknown): never => {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw new NotFoundError(`filesystem: "${rel}" no longer exists under ${root}`, { connector: this.name, externalId: rel });
      }
      const why = code === 'ELOOP' ? 'it is a symbolic link and followSymlinks is off' : (err as Error).message;
      throw new Error(`filesystem: cannot read "${rel}" under ${root}: ${why}`, { cause: err });
    };

    if (!followSymlinks) {
      // No link anywhere on the way: the real path must still be inside the real root.
      const [realRoot, real] = await Promise.all([fs.realpath(root), fs.realpath(abs).catch(fail)]);
      if (!isInside(realRoot, real)) {
        throw new Error(`filesystem: "${rel}" resolves outside the root ${root} through a symbolic link`);
      }
    }
    // O_NONBLOCK: opening a FIFO that replaced the file must not hang; no effect on regular files.
    const flags = fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | (followSymlinks ? 0 : fsConstants.O_NOFOLLOW);
    const handle = await fs.open(abs, flags).catch(fail);
    const stat = await handle.stat();
    if (!stat.isFile()) {
      await handle.close();
      throw new Error(`filesystem: "${rel}" under ${root} is not a regular file`);
    }
    return { body: handle.createReadStream(), mimeType: guessMimeType(rel), size: stat.size };
  }

  private filters(config: FilesystemConfig): { skipDir(rel: string): boolean; listFile(rel: string): boolean } {
    const filter = createPathFilter(config.include, config.exclude, { basename: true });
    return { skipDir: filter.excludes, listFile: filter };
  }
}

function toMetadata({ rel, stat }: WalkedFile): DocMetadata {
  return {
    externalId: rel,
    title: path.posix.basename(rel),
    path: rel,
    mimeType: guessMimeType(rel),
    size: stat.size,
    modifiedAt: stat.mtime.toISOString(),
    version: `${stat.size}-${stat.mtimeMs}`,
  };
}
