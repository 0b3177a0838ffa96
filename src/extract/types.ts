// Shared types and size caps for text extraction. Every cap has a default here so callers
// only pass `maxTextBytes`; the defaults are documented next to each field.

export interface ExtractOptions {
  /** Stored text is cut at this many bytes (UTF-8) and flagged truncated. */
  maxTextBytes: number;
  signal?: AbortSignal;
  /**
   * The document's original file name. Blob paths carry no extension, so text formats with
   * no magic bytes (Markdown, CSV...) are recognised from it when the declared type is generic.
   */
  fileName?: string;
  /** Apache Tika base URL. Defaults to `process.env.TIKA_URL`; an empty string forces the built-ins. */
  tikaUrl?: string;
  /** Whole Tika exchange (upload + text), default 120 s. */
  tikaTimeoutMs?: number;
  /**
   * Built-in extractors that must hold the whole file in memory (PDF, office, e-mail) refuse
   * larger files with UnsupportedContentError. Default 64 MiB. Text formats and Tika stream.
   */
  maxInputBytes?: number;
  /**
   * Zip-based formats (DOCX/XLSX/PPTX/ODF): total decompressed bytes allowed. Default 32 MiB
   * for DOCX/PPTX/ODF (their libraries build a DOM of ~50x the XML) and 256 MiB for XLSX
   * (streamed). Zip bombs stop here.
   */
  maxUnzippedBytes?: number;
  /** Zip-based formats: entries allowed. Default 10,000. */
  maxZipEntries?: number;
}

export interface ExtractedText {
  text: string;
  truncated: boolean;
  /** The mime type the extractor used (after sniffing). */
  mimeType: string;
}

export const DEFAULT_TIKA_TIMEOUT_MS = 120_000;
export const DEFAULT_MAX_INPUT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_ZIP_ENTRIES = 10_000;
/** E-mail attachments are extracted recursively down to this depth (a message in a message...). */
export const MAX_NESTING_DEPTH = 2;

export interface ResolvedOptions {
  maxTextBytes: number;
  maxInputBytes: number;
  /** Undefined: each zip-based extractor applies its own default. */
  maxUnzippedBytes?: number;
  maxZipEntries: number;
  signal?: AbortSignal;
  fileName?: string;
  depth: number;
}

export function resolveOptions(options: ExtractOptions, depth = 0): ResolvedOptions {
  if (!Number.isInteger(options.maxTextBytes) || options.maxTextBytes < 0) {
    throw new RangeError(`maxTextBytes must be a non-negative integer, got ${options.maxTextBytes}`);
  }
  return {
    maxTextBytes: options.maxTextBytes,
    maxInputBytes: options.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES,
    maxUnzippedBytes: options.maxUnzippedBytes,
    maxZipEntries: options.maxZipEntries ?? DEFAULT_MAX_ZIP_ENTRIES,
    signal: options.signal,
    fileName: options.fileName,
    depth,
  };
}

/** What a single-format extractor returns before the final truncation. */
export interface RawText {
  text: string;
  /** The extractor stopped early (e.g. PDF pages past the text budget). */
  truncated?: boolean;
}

export interface ExtractorContext {
  options: ResolvedOptions;
  /** The detected mime type (no parameters). */
  mimeType: string;
  /** Charset from the declared type, for text formats. */
  charset?: string;
  /** The whole file when the caller holds it in memory: text formats and e-mail read it instead of the file. */
  bytes?: Buffer;
  /** Extracts an embedded file (an e-mail attachment) with the same caps, one level deeper. */
  extractNested(filePath: string, declaredMimeType: string, fileName?: string): Promise<ExtractedText>;
}

export type Extractor = (filePath: string, ctx: ExtractorContext) => Promise<RawText>;
