// Drive locations: a folder-id -> {name, parent} cache per user (fed by the folder entries that
// files.list and changes.list return anyway, completed by files.get for folders not seen yet) and
// the path of a file resolved from its `parents`.
//
// Choices (documented in test/reliability/README.md, "Google fidelity"):
// - A file in several folders (possible before Drive's single-parent model) takes its first parent.
// - A chain that reaches the user's My Drive root gives `/folder/.../name`.
// - A file on a shared drive whose chain stops at the drive gives `/Shared drives/<driveId>/...`.
// - Anything else (no `parents`, or a parent the user cannot read) is "Shared with me":
//   `/Shared with me/<first reachable folder>/.../name`, and is listed only with includeSharedWithMe.
import type { drive_v3 } from '@googleapis/drive';
import { NotFoundError } from '../../core/errors.js';
import type { GoogleApi } from '../google/api.js';
import type { RateLimitSchedule } from '../google/rate-limit.js';
import type { GdriveConfig } from './config.js';
import { FOLDER_MIME } from './files.js';

interface Folder {
  name: string;
  parent?: string;
  driveId?: string;
}

interface UserFolders {
  /** One files.get('root') per cache, shared by concurrent lookups. */
  rootId?: Promise<string>;
  folders: Map<string, Folder | 'unreachable'>;
}

export type Location = { path: string; parents: string[]; sharedWithMe: boolean };

export const SHARED_WITH_ME = '/Shared with me';
const MAX_DEPTH = 64;

/**
 * In process memory, per user and endpoint: a worker restart only costs one files.get per folder
 * again. Folder renames and moves seen in the change feed update it, and (listing.ts, subtree.ts)
 * re-list what is under the folder so every file there gets its new path in the same page: Drive
 * reports a change for the folder only, none for its children.
 */
const caches = new Map<string, UserFolders>();

function cacheFor(key: string): UserFolders {
  let cache = caches.get(key);
  if (!cache) caches.set(key, (cache = { folders: new Map() }));
  return cache;
}

export class FolderPaths {
  private readonly cache: UserFolders;

  constructor(
    userId: string,
    config: GdriveConfig,
    private readonly api: GoogleApi<drive_v3.Drive>,
    private readonly schedule: RateLimitSchedule,
  ) {
    this.cache = cacheFor(`${userId}\u0000${config.apiBaseUrl ?? ''}\u0000${config.clientId ?? config.subject ?? ''}`);
  }

  /**
   * Folder entries from a listing page keep the cache current (renames, moves, new folders).
   * True when the folder's name or parent is not the one cached (or none was): the paths of
   * everything under it may have changed.
   */
  remember(file: drive_v3.Schema$File): boolean {
    if (file.mimeType !== FOLDER_MIME || !file.id) return false;
    if (file.trashed) {
      this.cache.folders.delete(file.id);
      return false;
    }
    const before = this.cache.folders.get(file.id);
    const after: Folder = { name: file.name ?? file.id, parent: file.parents?.[0], driveId: file.driveId ?? undefined };
    this.cache.folders.set(file.id, after);
    return before === undefined || before === 'unreachable' || before.name !== after.name || before.parent !== after.parent;
  }

  forget(id: string): void {
    this.cache.folders.delete(id);
  }

  async locate(file: drive_v3.Schema$File): Promise<Location> {
    const parents = file.parents ?? [];
    const names = [file.name ?? file.id!];
    const rootId = await this.rootId();
    let at: string | undefined = parents[0];
    for (let depth = 0; at && depth < MAX_DEPTH; depth++) {
      if (at === rootId) return { path: `/${names.reverse().join('/')}`, parents, sharedWithMe: false };
      if (file.driveId && at === file.driveId)
        return { path: `/Shared drives/${at}/${names.reverse().join('/')}`, parents, sharedWithMe: false };
      const folder = await this.folder(at);
      if (folder === 'unreachable') break;
      names.push(folder.name);
      at = folder.parent;
    }
    return { path: `${SHARED_WITH_ME}/${names.reverse().join('/')}`, parents, sharedWithMe: !file.driveId };
  }

  private rootId(): Promise<string> {
    const pending = (this.cache.rootId ??= this.get('root', 'id').then((res) => res?.id ?? 'root'));
    // A failed lookup (rate limit, outage) is not cached: the next listing asks again.
    pending.catch(() => this.cache.rootId === pending && delete this.cache.rootId);
    return pending;
  }

  private async folder(id: string): Promise<Folder | 'unreachable'> {
    const known = this.cache.folders.get(id);
    if (known) return known;
    const res = await this.get(id, 'id,name,mimeType,parents,driveId,trashed');
    if (!res || res.mimeType !== FOLDER_MIME) {
      this.cache.folders.set(id, 'unreachable');
      return 'unreachable';
    }
    this.remember(res);
    return this.cache.folders.get(id) ?? 'unreachable';
  }

  /** files.get of a folder; undefined when the user cannot see it (404). */
  private async get(fileId: string, fields: string): Promise<drive_v3.Schema$File | undefined> {
    const { client: drive, session, call } = this.api;
    try {
      const res = await session.run('files.get', () => drive.files.get({ fileId, fields, supportsAllDrives: true }, call), {
        externalId: fileId,
        schedule: this.schedule,
      });
      return res.data;
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }
}
