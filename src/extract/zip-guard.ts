// Zip-bomb guard for zip-based formats (DOCX, XLSX, PPTX, ODF), run before the office
// libraries see the file. mammoth (JSZip) and officeparser inflate entries into memory with no
// limit, and officeparser has no error handler on its entry streams (a bad deflate stream
// would crash the process). So every entry is first inflated here, streaming and discarded:
// yauzl checks that each entry inflates to exactly its declared size, which makes the declared
// total a real bound, and a damaged stream fails here with a normal Error.
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { UnsupportedContentError } from '../core/errors.js';
import type { ExtractorContext } from './types.js';

/** Default cap for libraries that build a DOM per XML part (mammoth, officeparser): ~50x in memory. */
export const DOM_UNZIPPED_CAP = 32 * 1024 * 1024;
/** Default cap for streaming parsers (exceljs's reader): memory stays flat, the cap bounds CPU. */
export const STREAMED_UNZIPPED_CAP = 256 * 1024 * 1024;

/** `defaultCap` applies unless the caller set `maxUnzippedBytes`. */
export async function checkZipContainer(filePath: string, ctx: ExtractorContext, defaultCap = DOM_UNZIPPED_CAP): Promise<void> {
  let zip: ZipFile | undefined;
  try {
    zip = await openZip(filePath);
    await inflateAll(zip, ctx, ctx.options.maxUnzippedBytes ?? defaultCap);
  } catch (err) {
    if (err instanceof UnsupportedContentError || (err as Error).name === 'AbortError') throw err;
    throw new Error(`corrupt zip container: ${(err as Error).message}`, { cause: err });
  } finally {
    zip?.close();
  }
}

async function inflateAll(zip: ZipFile, ctx: ExtractorContext, maxUnzippedBytes: number): Promise<void> {
  const { maxZipEntries, signal } = ctx.options;
  if (zip.entryCount > maxZipEntries) {
    throw new UnsupportedContentError(`${ctx.mimeType} has ${zip.entryCount} zip entries, over the cap of ${maxZipEntries}`);
  }
  let declared = 0;
  for await (const entry of entries(zip)) {
    signal?.throwIfAborted();
    declared += entry.uncompressedSize;
    if (declared > maxUnzippedBytes) {
      throw new UnsupportedContentError(`${ctx.mimeType} decompresses to more than ${maxUnzippedBytes} bytes (zip bomb guard)`);
    }
    if (!entry.fileName.endsWith('/')) await drain(zip, entry);
  }
}

function openZip(filePath: string): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(filePath, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (err, zip) =>
      err ? reject(err) : resolve(zip),
    );
  });
}

async function* entries(zip: ZipFile): AsyncGenerator<Entry> {
  for (;;) {
    const next = await new Promise<Entry | null>((resolve, reject) => {
      const onEntry = (entry: Entry) => settle(() => resolve(entry));
      const onEnd = () => settle(() => resolve(null));
      const onError = (err: Error) => settle(() => reject(err));
      const settle = (fn: () => void) => {
        zip.off('entry', onEntry).off('end', onEnd).off('error', onError);
        fn();
      };
      zip.on('entry', onEntry).on('end', onEnd).on('error', onError);
      zip.readEntry();
    });
    if (!next) return;
    yield next;
  }
}

function drain(zip: ZipFile, entry: Entry): Promise<void> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err) return reject(err);
      stream.on('error', reject).on('end', resolve).resume();
    });
  });
}
