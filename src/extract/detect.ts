// Content type detection: the bytes win over what the source declared. Binary formats are
// sniffed with `file-type`; text formats have no magic, so for them the declared type (or the
// file name's extension) decides.
import { mimeTypeFromName } from '../connectors/shared/mime.js';
import { readPrefix } from './input.js';

export interface DetectedType {
  /** Lower-case type without parameters. */
  mimeType: string;
  /** `charset` parameter of the declared type, if any (text formats). */
  charset?: string;
  /** How the type was decided. */
  source: 'sniffed' | 'declared' | 'extension' | 'unknown';
}

const GENERIC_TYPES = new Set(['', 'application/octet-stream', 'binary/octet-stream', 'application/unknown']);

/**
 * Sniffed types that are containers for more specific formats: when the hint names a format
 * built on the same container (a DOCX is a zip), the hint is more precise than the sniff.
 * This also lets a damaged DOCX reach the DOCX extractor and fail with its message.
 */
const CONTAINERS: Record<string, (hint: string) => boolean> = {
  'application/zip': (hint) =>
    hint.startsWith('application/vnd.openxmlformats-officedocument.') ||
    hint.startsWith('application/vnd.oasis.opendocument.') ||
    hint === 'application/epub+zip',
  'application/x-cfb': (hint) =>
    hint === 'application/msword' || hint.startsWith('application/vnd.ms-') || hint === 'application/vnd.visio',
  'application/xml': (hint) => hint.endsWith('+xml') || hint === 'text/xml' || hint === 'text/html',
};

export function parseMimeType(value: string | undefined): { base: string; charset?: string } {
  const [base = '', ...params] = (value ?? '').split(';');
  const charsetParam = params.map((p) => p.trim()).find((p) => /^charset=/i.test(p));
  const charset = charsetParam?.slice('charset='.length).replace(/^"|"$/g, '').trim() || undefined;
  return { base: base.trim().toLowerCase(), charset };
}

/** `inMemory`, the whole file when the caller holds it, is sniffed instead of opening the file. */
export async function detectContentType(
  filePath: string,
  declaredMimeType: string,
  fileName?: string,
  inMemory?: Buffer,
): Promise<DetectedType> {
  const declared = parseMimeType(declaredMimeType);
  const hint = !GENERIC_TYPES.has(declared.base)
    ? { mimeType: declared.base, source: 'declared' as const }
    : (() => {
        const fromName = mimeTypeFromName(fileName);
        return fromName ? { mimeType: fromName, source: 'extension' as const } : undefined;
      })();

  // Loaded on first use (≈ 11 MiB): an idle activity worker does not hold it.
  const { fileTypeFromBuffer, fileTypeFromFile } = await import('file-type');
  const sniffed = inMemory ? await fileTypeFromBuffer(inMemory) : await fileTypeFromFile(filePath);
  if (sniffed && !(sniffed.mime === 'audio/mpeg' && (await startsWithUtf16Bom(filePath, inMemory)))) {
    const container = CONTAINERS[sniffed.mime];
    if (hint && container?.(hint.mimeType)) return { ...hint, charset: declared.charset };
    return { mimeType: sniffed.mime, source: 'sniffed' };
  }
  if (hint) return { ...hint, charset: declared.charset };
  if (sniffed) return { mimeType: 'text/plain', source: 'sniffed' }; // a UTF-16 BOM (above)
  return { mimeType: 'application/octet-stream', source: 'unknown' };
}

/**
 * A UTF-16 byte-order mark (FF FE, FE FF) is also a valid MPEG audio frame header, which `file-type`
 * reports as audio/mpeg ("mp1"): text saved as UTF-16 by Windows tools would be skipped as audio.
 * With a BOM in front, the declared type or the name decides, and else it is plain text.
 */
async function startsWithUtf16Bom(filePath: string, inMemory?: Buffer): Promise<boolean> {
  const { bytes } = await readPrefix(filePath, 2, inMemory);
  return (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
}
