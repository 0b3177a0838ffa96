// Page building rules: a page must mean the same thing whether the store replays its
// entries in order or applies deletedPaths first and upserts second.
import { describe, expect, it } from 'vitest';
import type { files } from 'dropbox';
import { toMetadataPage } from '../../../src/connectors/dropbox/listing.js';
import { createPathFilter } from '../../../src/connectors/shared/glob.js';
import { parseRetryAfter, resolveRetryAt } from '../../../src/connectors/shared/retry-after.js';
import { guessMimeType } from '../../../src/connectors/shared/mime.js';
import { redactSecrets } from '../../../src/connectors/shared/redact-secrets.js';

const everything = createPathFilter();

function file(path: string, id: string): files.FileMetadataReference {
  return {
    '.tag': 'file',
    id,
    name: path.slice(path.lastIndexOf('/') + 1),
    path_lower: path.toLowerCase(),
    path_display: path,
    client_modified: '2024-01-01T00:00:00Z',
    server_modified: '2024-01-01T00:00:00Z',
    rev: `rev${id}`,
    size: 1,
    is_downloadable: true,
    content_hash: `hash${id}`,
  } as files.FileMetadataReference;
}
function deleted(path: string): files.DeletedMetadataReference {
  return { '.tag': 'deleted', name: path.slice(path.lastIndexOf('/') + 1), path_lower: path.toLowerCase(), path_display: path };
}
function page(entries: files.ListFolderResult['entries']): files.ListFolderResult {
  return { entries, cursor: 'c1', has_more: false };
}

describe('toMetadataPage', () => {
  it('drops an upsert that a later entry of the same page deletes (file, then its folder deleted)', () => {
    const p = toMetadataPage(page([file('/Tmp/x.txt', 'id:x'), file('/keep.txt', 'id:k'), deleted('/Tmp')]), {
      include: everything,
      reset: false,
    });
    expect(p.upserts.map((d) => d.externalId)).toEqual(['id:k']);
    expect(p.deletedPaths).toEqual(['/tmp']);
  });

  it('keeps an upsert that comes after the deletion of its path (delete, then re-create)', () => {
    const p = toMetadataPage(page([deleted('/a.txt'), file('/A.txt', 'id:new')]), { include: everything, reset: false });
    expect(p.upserts.map((d) => d.externalId)).toEqual(['id:new']);
    expect(p.deletedPaths).toEqual(['/a.txt']);
  });

  it('skips folders, keeps the latest entry per id and passes the cursor as the milestone', () => {
    const folder = { '.tag': 'folder', id: 'id:f', name: 'F', path_lower: '/f', path_display: '/F' } as files.FolderMetadataReference;
    const p = toMetadataPage(
      { entries: [folder, file('/F/a.txt', 'id:a'), file('/F/b.txt', 'id:a')], cursor: 'next', has_more: true },
      {
        include: everything,
        reset: true,
      },
    );
    expect(p).toMatchObject({ milestone: { cursor: 'next' }, hasMore: true, reset: true, deletes: [] });
    expect(p.upserts.map((d) => d.path)).toEqual(['/F/b.txt']);
  });
});

describe('shared helpers', () => {
  it('parses Retry-After as seconds or an HTTP date, preferring the header over the body', () => {
    const now = Date.parse('2024-05-01T10:00:00Z');
    expect(parseRetryAfter('30', now)?.toISOString()).toBe('2024-05-01T10:00:30.000Z');
    expect(parseRetryAfter('Wed, 01 May 2024 10:05:00 GMT', now)?.toISOString()).toBe('2024-05-01T10:05:00.000Z');
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(resolveRetryAt({ header: '5', bodySeconds: 100 }, now).getTime()).toBe(now + 5_000);
    expect(resolveRetryAt({ header: null, bodySeconds: 100 }, now).getTime()).toBe(now + 100_000);
    expect(resolveRetryAt({}, now).getTime()).toBe(now + 60_000);
  });

  it('matches path globs case-insensitively, ** across folders and * within one', () => {
    const matches = (pattern: string, path: string) => createPathFilter([pattern], [], { nocase: true })(path);
    expect(matches('/docs/**', '/Docs/a/b.txt')).toBe(true);
    expect(matches('**/*.pdf', '/x/y/z.PDF')).toBe(true);
    expect(matches('**/*.pdf', '/z.pdf')).toBe(true);
    expect(matches('/*.txt', '/a/b.txt')).toBe(false);
    expect(matches('/{a,b}/*.md', '/b/x.md')).toBe(true);
    const filter = createPathFilter(['/work/**'], ['**/*.tmp'], { nocase: true });
    expect([filter('/work/a.md'), filter('/work/a.tmp'), filter('/home/a.md')]).toEqual([true, false, false]);
  });

  it('guesses MIME types from extensions', () => {
    expect(guessMimeType('Report.PDF')).toBe('application/pdf');
    expect(guessMimeType('noext')).toBe('application/octet-stream');
    expect(guessMimeType('x.weird', 'text/plain')).toBe('text/plain');
  });

  it('redacts known secrets and bearer tokens from text', () => {
    expect(redactSecrets('bad header "Bearer sl.abc123" for s3cr3t-value', ['s3cr3t-value'])).toBe(
      'bad header "Bearer [redacted]" for [redacted]',
    );
    expect(redactSecrets('?refresh_token=xyz&client_secret=abc')).toBe('?refresh_token=[redacted]&client_secret=[redacted]');
  });
});
