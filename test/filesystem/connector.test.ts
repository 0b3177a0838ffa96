// The filesystem connector called directly: paged resumable walks, versions, deletions through
// mark-and-sweep, a small milestone, links, special files and path traversal.
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseMilestone } from '../../src/activities/milestone.js';
import { FilesystemConnector } from '../../src/connectors/filesystem/connector.js';
import { parseConnectorConfig } from '../../src/connectors/config.js';
import { MAX_MILESTONE_BYTES } from '../../src/core/contract.js';
import { ConfigError, NotFoundError } from '../../src/core/errors.js';
import { filesystemContext, fullWalk, idsOf } from './context.js';

const connector = new FilesystemConnector();
let root: string;
let outside: string;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'docsync-fs-'));
  outside = await fs.mkdtemp(path.join(os.tmpdir(), 'docsync-fs-outside-'));
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
  await fs.rm(outside, { recursive: true, force: true });
});

async function write(rel: string, content = `content of ${rel}`): Promise<void> {
  const file = path.join(root, ...rel.split('/'));
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content);
}

const versionsOf = (pages: { upserts: { externalId: string; version: string }[] }[]) =>
  Object.fromEntries(pages.flatMap((p) => p.upserts.map((u) => [u.externalId, u.version])));

describe('config', () => {
  it('given a relative root, the config is refused naming the field; a missing one fails the listing as an outage', async () => {
    expect(() => parseConnectorConfig(connector, { root: 'relative/dir' })).toThrow(ConfigError);
    const { ctx } = filesystemContext({ root: '/no/such/docsync/dir' });
    await expect(connector.retrieveMetadata(ctx, {})).rejects.toThrow(NotFoundError);
    await expect(connector.retrieveMetadata(ctx, {})).rejects.toThrow(/filesystem root \/no\/such\/docsync\/dir is unavailable/);
  });

  it('given only a root, the defaults apply', () => {
    expect(parseConnectorConfig(connector, { root })).toEqual({ root, pageSize: 500, followSymlinks: false });
  });
});

describe('listing', () => {
  it('given 7 files in nested folders and pageSize 3, pages of 3, 3, 1 list each file once in path order', async () => {
    for (const rel of ['b.txt', 'a/z.md', 'a/b/c.txt', 'a-b.txt', 'c/d/e/f.json', 'a/a.txt', 'zz.csv']) await write(rel);
    const { ctx } = filesystemContext({ root, pageSize: 3 });
    const { pages } = await fullWalk(ctx);
    expect(pages.map((p) => p.upserts.length)).toEqual([3, 3, 1]);
    expect(pages.map((p) => p.reset)).toEqual([true, false, false]);
    expect(pages.map((p) => p.hasMore)).toEqual([true, true, false]);
    // Segment order: "a" and everything under it come before "a-b.txt".
    expect(idsOf(pages)).toEqual(['a/a.txt', 'a/b/c.txt', 'a/z.md', 'a-b.txt', 'b.txt', 'c/d/e/f.json', 'zz.csv']);
    expect(pages[0].milestone).toMatchObject({ walk: { after: 'a/z.md' } });
    const first = pages[0].upserts[1];
    expect(first).toMatchObject({ externalId: 'a/b/c.txt', title: 'c.txt', path: 'a/b/c.txt', mimeType: 'text/plain', size: 20 });
    expect(first.version).toMatch(/^20-\d+(\.\d+)?$/);
  });

  it('given a walk interrupted between pages, files added or removed around the cursor are handled', async () => {
    for (const rel of ['a/1.txt', 'a/2.txt', 'b/1.txt', 'b/2.txt', 'c.txt']) await write(rel);
    const { ctx } = filesystemContext({ root, pageSize: 2 });
    const { pages } = await fullWalk(ctx, {}, async (_page, index) => {
      if (index === 0) {
        await fs.rm(path.join(root, 'a'), { recursive: true }); // the cursor's own folder disappears
        await write('0-before.txt'); // sorts before the cursor: next walk's business
        await write('b/0.txt'); // sorts after the cursor: listed in this walk
      }
    });
    expect(idsOf(pages)).toEqual(['a/1.txt', 'a/2.txt', 'b/0.txt', 'b/1.txt', 'b/2.txt', 'c.txt']);
  });

  it('given a modified file, its version changes; an untouched file keeps its version', async () => {
    await write('kept.txt', 'same');
    await write('changed.txt', 'before');
    const { ctx } = filesystemContext({ root });
    const first = await fullWalk(ctx);
    await fs.writeFile(path.join(root, 'changed.txt'), 'after, longer');
    const second = await fullWalk(ctx, first.milestone);
    const [v1, v2] = [versionsOf(first.pages), versionsOf(second.pages)];
    expect(v2['kept.txt']).toBe(v1['kept.txt']);
    expect(v2['changed.txt']).not.toBe(v1['changed.txt']);
    // Same size, new mtime: still a new version.
    await fs.writeFile(path.join(root, 'kept.txt'), 'SAME');
    const later = new Date(Date.now() + 5000);
    await fs.utimes(path.join(root, 'kept.txt'), later, later);
    const third = await fullWalk(ctx, second.milestone);
    expect(versionsOf(third.pages)['kept.txt']).not.toBe(v1['kept.txt']);
  });

  it('given a milestone it cannot read, a new full walk starts with reset: true', async () => {
    await write('a.txt');
    const { ctx } = filesystemContext({ root });
    const page = await connector.retrieveMetadata(ctx, parseMilestone(connector, { walk: 'not an object', other: [1, 2] }));
    expect(page).toMatchObject({ reset: true, hasMore: false, upserts: [{ externalId: 'a.txt' }] });
  });

  it('given a deleted file, the next full walk (reset: true on its first page) no longer lists it', async () => {
    await write('stays.txt');
    await write('goes.txt');
    const { ctx } = filesystemContext({ root });
    const first = await fullWalk(ctx);
    await fs.rm(path.join(root, 'goes.txt'));
    const second = await fullWalk(ctx, first.milestone);
    expect(second.pages[0].reset).toBe(true); // the engine stamps what it sees and sweeps the rest
    expect(idsOf(second.pages)).toEqual(['stays.txt']);
    expect(second.pages.every((p) => p.deletes.length === 0)).toBe(true);
  });

  it('given 5,000 files, every milestone stays tiny and each file is listed exactly once', async () => {
    for (let d = 0; d < 50; d++) {
      const dir = path.join(root, `department-${String(d).padStart(2, '0')}`, 'quarterly reports with long names');
      await fs.mkdir(dir, { recursive: true });
      await Promise.all(
        Array.from({ length: 100 }, (_, f) => fs.writeFile(path.join(dir, `document number ${f} of the archive.txt`), `${d}/${f}`)),
      );
    }
    const { ctx } = filesystemContext({ root, pageSize: 500 });
    const started = performance.now();
    const { pages } = await fullWalk(ctx);
    const ms = performance.now() - started;
    const ids = idsOf(pages);
    const sizes = pages.map((p) => Buffer.byteLength(JSON.stringify(p.milestone), 'utf8'));
    console.log(`5,000 files: ${pages.length} pages in ${ms.toFixed(0)} ms, largest milestone ${Math.max(...sizes)} bytes`);
    expect(ids).toHaveLength(5000);
    expect(new Set(ids).size).toBe(5000);
    expect(Math.max(...sizes)).toBeLessThan(1024);
    expect(Math.max(...sizes)).toBeLessThan(MAX_MILESTONE_BYTES);
  });

  it('given include and exclude globs, only matching files are listed and excluded folders are not entered', async () => {
    for (const rel of ['README.md', 'docs/guide.md', 'docs/notes.txt', 'node_modules/pkg/README.md', 'build/out.md']) await write(rel);
    const { ctx } = filesystemContext({ root, include: ['*.md'], exclude: ['node_modules', 'build/**'] });
    expect(idsOf((await fullWalk(ctx)).pages)).toEqual(['README.md', 'docs/guide.md']);
  });

  it('given a FIFO, it is not listed and the walk does not block', async () => {
    await write('real.txt');
    execFileSync('mkfifo', [path.join(root, 'pipe')]);
    const { ctx } = filesystemContext({ root });
    expect(idsOf((await fullWalk(ctx)).pages)).toEqual(['real.txt']);
  });
});

describe('symbolic links', () => {
  it('given followSymlinks off, links are ignored', async () => {
    await write('real/file.txt');
    await fs.symlink(path.join(root, 'real'), path.join(root, 'alias'));
    await fs.symlink(path.join(root, 'real/file.txt'), path.join(root, 'link.txt'));
    const { ctx } = filesystemContext({ root });
    expect(idsOf((await fullWalk(ctx)).pages)).toEqual(['real/file.txt']);
  });

  it('given link loops and followSymlinks on, the walk ends, lists real files once per path and warns', async () => {
    await write('a/file.txt');
    await fs.symlink('.', path.join(root, 'self')); // root/self -> root
    await fs.symlink('..', path.join(root, 'a', 'up')); // root/a/up -> root
    await fs.symlink('b2', path.join(root, 'b1')); // b1 -> b2 -> b1: ELOOP
    await fs.symlink('b1', path.join(root, 'b2'));
    await write('shared/x.txt');
    await fs.symlink('shared', path.join(root, 'also-shared')); // not a loop: listed under both paths
    const { ctx, warnings } = filesystemContext({ root, followSymlinks: true, pageSize: 2 });
    const { pages } = await fullWalk(ctx);
    expect(idsOf(pages)).toEqual(['a/file.txt', 'also-shared/x.txt', 'shared/x.txt']);
    expect(warnings.map((w) => w.path).sort()).toEqual(['a/up', 'b1', 'b2', 'self']);
    expect(warnings.find((w) => w.path === 'self')?.reason).toMatch(/symlink loop/);
  });
});

describe('retrieveData', () => {
  it('given a listed file, it streams the bytes with the mime type of its extension', async () => {
    await write('docs/readme.md', '# Hello');
    const { ctx } = filesystemContext({ root });
    const data = await connector.retrieveData(ctx, { externalId: 'docs/readme.md', title: 'readme.md', version: 'v' });
    expect(data.mimeType).toBe('text/markdown');
    expect(data.size).toBe(7);
    expect(await text(data.body as Readable)).toBe('# Hello');
  });

  it('given a file deleted since the listing, it is NotFound', async () => {
    const { ctx } = filesystemContext({ root });
    await expect(connector.retrieveData(ctx, { externalId: 'gone.txt', title: 'gone.txt', version: 'v' })).rejects.toThrow(NotFoundError);
  });

  it.each(['../outside.txt', '/etc/passwd', 'a/../../outside.txt', 'a//b.txt', './a.txt', '', '..', 'a/\0b'])(
    'given the external id %j, it is rejected as outside the root',
    async (externalId) => {
      await fs.writeFile(path.join(outside, 'outside.txt'), 'secret');
      const { ctx } = filesystemContext({ root });
      await expect(connector.retrieveData(ctx, { externalId, title: 'x', version: 'v' })).rejects.toThrow(/outside the root/);
    },
  );

  it('given a symlink out of root and followSymlinks off, reading through it is rejected', async () => {
    await fs.writeFile(path.join(outside, 'secret.txt'), 'secret');
    await fs.symlink(outside, path.join(root, 'escape'));
    await fs.symlink(path.join(outside, 'secret.txt'), path.join(root, 'secret-link.txt'));
    const { ctx } = filesystemContext({ root });
    for (const externalId of ['escape/secret.txt', 'secret-link.txt']) {
      await expect(connector.retrieveData(ctx, { externalId, title: 'x', version: 'v' })).rejects.toThrow(/outside the root/);
    }
  });

  it('given a directory or a FIFO where a file was, it fails naming the path instead of hanging', async () => {
    await fs.mkdir(path.join(root, 'now-a-dir.txt'));
    execFileSync('mkfifo', [path.join(root, 'now-a-fifo.txt')]);
    const { ctx } = filesystemContext({ root });
    for (const externalId of ['now-a-dir.txt', 'now-a-fifo.txt']) {
      await expect(connector.retrieveData(ctx, { externalId, title: 'x', version: 'v' })).rejects.toThrow(
        new RegExp(`"${externalId}" under .* is not a regular file`),
      );
    }
  });
});
