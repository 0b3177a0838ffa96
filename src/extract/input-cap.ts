// The input cap for extractors whose library must hold the whole file in memory.
import { promises as fs } from 'node:fs';
import { UnsupportedContentError } from '../core/errors.js';
import type { ExtractorContext } from './types.js';

/** Throws UnsupportedContentError when the file is over `maxInputBytes`. */
export async function checkInputSize(filePath: string, ctx: ExtractorContext): Promise<number> {
  const size = ctx.bytes?.length ?? (await fs.stat(filePath)).size;
  if (size > ctx.options.maxInputBytes) {
    throw new UnsupportedContentError(
      `${ctx.mimeType} of ${size} bytes is over the ${ctx.options.maxInputBytes}-byte cap of the built-in extractor (use Tika for large files)`,
    );
  }
  return size;
}

export async function readWholeFile(filePath: string, ctx: ExtractorContext): Promise<Buffer> {
  await checkInputSize(filePath, ctx);
  return fs.readFile(filePath, { signal: ctx.options.signal });
}
