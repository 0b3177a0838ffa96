// DOCX through `mammoth` (raw text: paragraphs, tables, lists, headers of the body). mammoth
// reads the whole file and inflates entries with JSZip, so the input cap and the zip guard run first.
import { checkInputSize } from './input-cap.js';
import type { Extractor } from './types.js';
import { checkZipContainer } from './zip-guard.js';

export const extractDocx: Extractor = async (filePath, ctx) => {
  await checkInputSize(filePath, ctx);
  await checkZipContainer(filePath, ctx);
  // Loaded on first use: the library costs tens of MB of worker RSS even when no such file arrives.
  const { default: mammoth } = await import('mammoth');
  const result = await mammoth.extractRawText({ path: filePath });
  return { text: result.value.replace(/\n{3,}/g, '\n\n').trim() };
};
