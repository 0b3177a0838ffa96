// PDF through Mozilla's pdf.js (legacy build, the one meant for Node). pdf.js needs the whole
// file in memory (no range loading from disk), hence the input cap; pages are read one at a
// time and reading stops as soon as the text budget is spent.
import { UnsupportedContentError } from '../core/errors.js';
import { readWholeFile } from './input-cap.js';
import { TextBudget } from './truncate.js';
import type { Extractor } from './types.js';

export const extractPdf: Extractor = async (filePath, ctx) => {
  const data = await readWholeFile(filePath, ctx);
  // Loaded on first use: the library costs tens of MB of worker RSS even when no such file arrives.
  const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const task = getDocument({
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    verbosity: 0,
  });
  try {
    const pdf = await task.promise;
    const budget = new TextBudget(ctx.options.maxTextBytes);
    for (let n = 1; n <= pdf.numPages && !budget.full; n++) {
      ctx.options.signal?.throwIfAborted();
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      const lines = content.items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : '')).join('');
      budget.add((n > 1 ? '\n\n' : '') + lines.trim());
      page.cleanup();
    }
    return budget.result();
  } catch (err) {
    if ((err as Error)?.name === 'PasswordException') {
      throw new UnsupportedContentError('PDF is password-protected', {}, { cause: err });
    }
    throw err;
  } finally {
    await task.destroy();
  }
};
