// What sits under a renamed or moved Drive folder. Drive's change feed reports such a folder alone,
// with no change for the files below it, so their new paths would reach the store only when each
// file next changed: the listing re-lists the folder's subtree (`'<id>' in parents`, one folder at a
// time) in the same page and hands every file there to the page write, which records a `metadata`
// change only where the path really moved.
import type { drive_v3 } from '@googleapis/drive';
import type { GoogleApi } from '../google/api.js';
import type { RateLimitSchedule } from '../google/rate-limit.js';
import type { GdriveConfig } from './config.js';
import { FILE_FIELDS, FOLDER_MIME } from './files.js';
import type { FolderPaths } from './folders.js';

/** files.list parameters for listing across shared drives too, when the config asks for them. */
export function allDrivesListParams(includeSharedDrives: boolean): drive_v3.Params$Resource$Files$List {
  return includeSharedDrives ? { corpora: 'allDrives', includeItemsFromAllDrives: true, supportsAllDrives: true } : {};
}

/** Drive query literals are single-quoted with backslash escapes. */
function quoted(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Every non-trashed file under `roots` (folders included, and remembered in the path cache so the
 * files below them resolve without a files.get). Costs one files.list per folder of the subtree
 * (more for folders holding over pageSize entries); nothing when no folder moved.
 */
export async function listSubtrees(
  api: GoogleApi<drive_v3.Drive>,
  config: GdriveConfig,
  roots: string[],
  folders: FolderPaths,
  schedule: RateLimitSchedule,
): Promise<drive_v3.Schema$File[]> {
  const { client: drive, session, call } = api;
  const found: drive_v3.Schema$File[] = [];
  const seen = new Set<string>();
  const queue = [...roots];
  for (let folderId = queue.shift(); folderId !== undefined; folderId = queue.shift()) {
    // A folder listed twice (two moved folders, one inside the other) would only repeat requests.
    if (seen.has(folderId)) continue;
    seen.add(folderId);
    let pageToken: string | undefined;
    do {
      const params: drive_v3.Params$Resource$Files$List = {
        q: `${quoted(folderId)} in parents and trashed = false`,
        pageSize: config.pageSize,
        pageToken,
        fields: `nextPageToken,files(${FILE_FIELDS})`,
        spaces: 'drive',
        ...allDrivesListParams(config.includeSharedDrives),
      };
      const res = await session.run('files.list', () => drive.files.list(params, call), { externalId: folderId, schedule });
      for (const file of res.data.files ?? []) {
        if (!file.id) continue;
        if (file.mimeType === FOLDER_MIME) {
          folders.remember(file);
          queue.push(file.id);
        }
        found.push(file);
      }
      pageToken = res.data.nextPageToken ?? undefined;
    } while (pageToken);
  }
  return found;
}
