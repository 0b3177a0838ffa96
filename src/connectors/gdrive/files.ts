// Drive file resources -> DocMetadata, and which Google Docs Editors types export to what.
import type { drive_v3 } from '@googleapis/drive';
import type { DocMetadata, JsonObject } from '../../core/contract.js';

export const FOLDER_MIME = 'application/vnd.google-apps.folder';
export const GOOGLE_APPS_PREFIX = 'application/vnd.google-apps.';

/** The minimal fields every listing asks for (Drive's default omits md5Checksum, version, size...). */
export const FILE_FIELDS = 'id,name,mimeType,md5Checksum,version,modifiedTime,size,trashed,parents,driveId,shortcutDetails';

export const SHORTCUT_MIME = 'application/vnd.google-apps.shortcut';

/**
 * Docs Editors files have no bytes: export to text. Other google-apps types are skipped.
 *
 * No fallback format after 403 `exportSizeLimitExceeded`: Drive limits the *exported* bytes
 * (10 MB), and these are already the smallest text-bearing exports of each type (plain text without
 * images or markup; CSV holds only the first sheet). HTML, PDF, DOCX/XLSX/PPTX of the same file are
 * as large or larger, so a second export would cost a request and fail the same way. Such a file is
 * `skipped` with the reason (UnsupportedContentError, google/errors.ts), never retried, and the sync
 * goes on; it is exported again only when its version changes.
 */
export const EXPORT_MIME: Record<string, string> = {
  'application/vnd.google-apps.document': 'text/plain',
  'application/vnd.google-apps.spreadsheet': 'text/csv',
  'application/vnd.google-apps.presentation': 'text/plain',
};

export function isGoogleAppsType(mimeType: string): boolean {
  return mimeType.startsWith(GOOGLE_APPS_PREFIX);
}

/**
 * `location` is the resolved path and parent ids (folders.ts). A shortcut is a link row: its own
 * location, the target's id and type in extra, no content of its own (the target, when in scope,
 * is synced as its own document, so its edits are never missed through a stale copy).
 */
export function toDocMetadata(file: drive_v3.Schema$File, location?: { path: string; parents: string[] }): DocMetadata {
  const mimeType = file.mimeType ?? 'application/octet-stream';
  const size = file.size ? Number(file.size) : undefined;
  const extra: JsonObject = { googleMimeType: mimeType };
  if (location) extra.parents = location.parents;
  if (file.driveId) extra.driveId = file.driveId;
  if (mimeType === SHORTCUT_MIME && file.shortcutDetails?.targetId) {
    extra.shortcutTargetId = file.shortcutDetails.targetId;
    if (file.shortcutDetails.targetMimeType) extra.shortcutTargetMimeType = file.shortcutDetails.targetMimeType;
  }
  return {
    externalId: file.id!,
    title: file.name ?? file.id!,
    ...(location ? { path: location.path } : {}),
    mimeType,
    size: Number.isFinite(size) ? size : undefined,
    modifiedAt: file.modifiedTime ?? undefined,
    // md5 exists only for binary files; Docs Editors files change `version` on every edit.
    version: file.md5Checksum ?? file.version ?? file.modifiedTime ?? '0',
    extra,
  };
}
