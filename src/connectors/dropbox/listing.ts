// Turns a files/list_folder(/continue) result into a MetadataPage: files become upserts,
// deleted entries become deletedPaths (path_lower; covers everything under a folder),
// folders are skipped. Renames arrive as delete(old path) + file(new path, same id).
import { z } from 'zod';
import type { files } from 'dropbox';
import type { DocMetadata, MetadataPage } from '../../core/contract.js';
import { NotFoundError } from '../../core/errors.js';
import { guessMimeType } from '../shared/mime.js';
import type { PathFilter } from '../shared/glob.js';
import { cursorToken, unreadableMilestone } from '../shared/milestone-schema.js';

type Entry = files.ListFolderResult['entries'][number];

/** A list_folder cursor; `{}` before the first listing; anything else starts over as a reset. */
export const dropboxMilestoneSchema = z.union([z.object({ cursor: cursorToken }), z.strictObject({}), unreadableMilestone]);
export type DropboxMilestone = z.output<typeof dropboxMilestoneSchema>;

export function fileToDocMetadata(file: files.FileMetadataReference): DocMetadata {
  return {
    externalId: file.id,
    title: file.name,
    path: file.path_display,
    mimeType: guessMimeType(file.name),
    size: file.size,
    modifiedAt: file.server_modified,
    version: file.content_hash ?? file.rev,
    extra: {
      pathLower: file.path_lower ?? file.name.toLowerCase(),
      rev: file.rev,
      isDownloadable: file.is_downloadable ?? true,
    },
  };
}

/**
 * Builds the page so that applying deletedPaths first and then upserts gives the same
 * result as replaying the entries in order: an upsert followed (in this page) by the
 * deletion of its path or a parent folder is dropped, and a deletion followed by an
 * upsert under the same path leaves that upsert in place.
 */
export function toMetadataPage(result: files.ListFolderResult, options: { include: PathFilter; reset: boolean }): MetadataPage {
  const upserts = new Map<string, DocMetadata>();
  const deletedPaths = new Set<string>();
  for (const entry of result.entries as Entry[]) {
    if (entry['.tag'] === 'file') {
      const lower = entry.path_lower ?? '';
      if (!options.include(lower)) continue;
      upserts.delete(entry.id); // keep page order: the latest entry for an id wins
      upserts.set(entry.id, fileToDocMetadata(entry));
    } else if (entry['.tag'] === 'deleted') {
      const gone = entry.path_lower ?? '';
      if (!gone) continue;
      deletedPaths.add(gone);
      for (const [id, doc] of upserts) {
        const lower = String(doc.extra?.pathLower ?? '');
        if (lower === gone || lower.startsWith(`${gone}/`)) upserts.delete(id);
      }
    }
  }
  const page: MetadataPage = {
    upserts: [...upserts.values()],
    deletes: [],
    milestone: { cursor: result.cursor },
    hasMore: result.has_more,
  };
  if (deletedPaths.size) page.deletedPaths = [...deletedPaths];
  if (options.reset) page.reset = true;
  return page;
}

/**
 * A listing that finds no folder at rootPath (409 path/not_found on list_folder or, once the folder
 * is deleted, on list_folder/continue) names the folder: the sync shows it as failed, keeps every
 * document (nothing is swept), and lists again at the next interval or syncNow.
 */
export function namingRoot(err: unknown, rootPath: string): unknown {
  if (!(err instanceof NotFoundError)) return err;
  return new NotFoundError(`dropbox source folder "${rootPath || '/'}" (rootPath) is unavailable: ${err.message}`, err.context);
}
