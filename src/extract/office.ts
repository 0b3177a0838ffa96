// PPTX and OpenDocument (odt/ods/odp) through `officeparser` (slide text and notes, drawings,
// charts, cell values). officeparser reads only the zip entries it
// needs, by random access from the file path, but keeps each in memory as a DOM: the input cap
// and the zip guard bound that.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkInputSize } from './input-cap.js';
import type { Extractor } from './types.js';
import { checkZipContainer } from './zip-guard.js';

export const OFFICE_EXTENSIONS: Record<string, string> = {
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
  'application/vnd.oasis.opendocument.text': 'odt',
  'application/vnd.oasis.opendocument.spreadsheet': 'ods',
  'application/vnd.oasis.opendocument.presentation': 'odp',
};

export const extractOffice: Extractor = async (filePath, ctx) => {
  await checkInputSize(filePath, ctx);
  await checkZipContainer(filePath, ctx);
  // officeparser picks its parser from the path's extension and blob paths have none:
  // hand it a symlink with the right extension instead of loading the file into a Buffer.
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'docsync-office-'));
  try {
    const link = path.join(dir, `document.${OFFICE_EXTENSIONS[ctx.mimeType]}`);
    await fs.symlink(path.resolve(filePath), link);
    // Loaded on first use: the library costs tens of MB of worker RSS even when no such file arrives.
    const { parseOfficeAsync } = await import('officeparser');
    const text = await parseOfficeAsync(link, { newlineDelimiter: '\n', outputErrorToConsole: false });
    return { text: text.replace(/\n{3,}/g, '\n\n').trim() };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
};
