// Drive and Gmail listing rules that need no API: how a Drive file becomes DocMetadata (which
// field is its version) and which Gmail labels put a message in the synced set.
import { describe, expect, it } from 'vitest';
import { FOLDER_MIME, isGoogleAppsType, toDocMetadata } from '../../../src/connectors/gdrive/files.js';
import { inScope, type GmailConfig } from '../../../src/connectors/gmail/config.js';
import { MESSAGE_VERSION } from '../../../src/connectors/gmail/listing.js';

describe('Drive file -> DocMetadata', () => {
  it('given a binary file, its md5 is the version and its size a number', () => {
    const doc = toDocMetadata({
      id: 'f1',
      name: 'a.pdf',
      mimeType: 'application/pdf',
      md5Checksum: 'abc',
      version: '7',
      size: '1234',
      modifiedTime: '2024-05-01T00:00:00Z',
    });
    expect(doc).toEqual({
      externalId: 'f1',
      title: 'a.pdf',
      mimeType: 'application/pdf',
      size: 1234,
      modifiedAt: '2024-05-01T00:00:00Z',
      version: 'abc',
      extra: { googleMimeType: 'application/pdf' },
    });
  });

  it('given a Google Doc (no md5, no size), the Drive version is the version and the size is unknown', () => {
    const doc = toDocMetadata({ id: 'd1', name: 'Notes', mimeType: 'application/vnd.google-apps.document', version: '12' });
    expect(doc.version).toBe('12');
    expect(doc.size).toBeUndefined();
    expect(isGoogleAppsType('application/vnd.google-apps.document')).toBe(true);
    expect(isGoogleAppsType('application/pdf')).toBe(false);
    expect(isGoogleAppsType(FOLDER_MIME)).toBe(true);
  });

  it('given a file with neither name nor type, the id names it and the type is octet-stream', () => {
    const doc = toDocMetadata({ id: 'x1', modifiedTime: '2024-01-01T00:00:00Z' });
    expect(doc).toMatchObject({ title: 'x1', mimeType: 'application/octet-stream', version: '2024-01-01T00:00:00Z' });
  });
});

describe('Gmail scope', () => {
  const config = (labelIds: string[] | undefined, includeSpamTrash = false) => ({ labelIds, includeSpamTrash }) as GmailConfig;

  it('given labelIds, a message must carry all of them', () => {
    expect(inScope(config(['INBOX', 'Label_1']), ['INBOX', 'Label_1', 'UNREAD'])).toBe(true);
    expect(inScope(config(['INBOX', 'Label_1']), ['INBOX'])).toBe(false);
  });

  it('given spam or trash, the message is out unless asked for', () => {
    expect(inScope(config(undefined), ['TRASH'])).toBe(false);
    expect(inScope(config(undefined), ['SPAM', 'INBOX'])).toBe(false);
    expect(inScope(config(undefined, true), ['TRASH'])).toBe(true);
    expect(inScope(config(['TRASH']), ['TRASH'])).toBe(true);
    expect(inScope(config(undefined), ['INBOX'])).toBe(true);
  });

  it('gives every message one constant version, so a re-listing never downloads it again', () => {
    expect(MESSAGE_VERSION).toBe('raw-1');
  });
});
