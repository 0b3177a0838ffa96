// Drive document content: binary files stream from files.get(alt=media); Docs/Sheets/Slides
// are exported to text; other Google types and files Drive refuses to hand out are skipped.
import type { Readable } from 'node:stream';
import type { drive_v3 } from '@googleapis/drive';
import type { ConnectorContext, DataResult, DocMetadata } from '../../core/contract.js';
import { UnsupportedContentError } from '../../core/errors.js';
import { FIXED_SCHEDULE, type GoogleApi } from '../google/api.js';
import type { GdriveConfig } from './config.js';
import { EXPORT_MIME, isGoogleAppsType } from './files.js';

export async function retrieveDriveContent(
  ctx: ConnectorContext<GdriveConfig>,
  { client: drive, session }: GoogleApi<drive_v3.Drive>,
  doc: DocMetadata,
): Promise<DataResult> {
  const fileId = doc.externalId;
  const googleMimeType = typeof doc.extra?.googleMimeType === 'string' ? doc.extra.googleMimeType : (doc.mimeType ?? '');
  // Streams get only the activity's signal: a total deadline would cut long downloads.
  const opts = { signal: ctx.signal, responseType: 'stream' as const };
  const runOpts = { externalId: fileId, schedule: FIXED_SCHEDULE };

  if (isGoogleAppsType(googleMimeType)) {
    const target = EXPORT_MIME[googleMimeType];
    if (!target) {
      throw new UnsupportedContentError(`gdrive: ${googleMimeType} has no text export`, {
        connector: 'gdrive',
        userId: ctx.userId,
        externalId: fileId,
      });
    }
    const res = await session.run('files.export', () => drive.files.export({ fileId, mimeType: target }, opts), runOpts);
    return { body: res.data as unknown as Readable, mimeType: target };
  }

  const res = await session.run('files.get', () => drive.files.get({ fileId, alt: 'media', supportsAllDrives: true }, opts), runOpts);
  return { body: res.data as unknown as Readable, mimeType: googleMimeType || 'application/octet-stream', size: doc.size };
}
