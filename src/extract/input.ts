// What an extraction reads: the file, and its whole body when the caller still holds it in memory
// (a small body the blob store has just staged), so sniffing and text formats need no file read.
import { promises as fs } from 'node:fs';

export interface ExtractInput {
  path: string;
  /** The file's whole content, when the caller has it (BlobStore.stage keeps small bodies). Absent: read `path`. */
  bytes?: Buffer;
}

export function toExtractInput(source: string | ExtractInput): ExtractInput {
  return typeof source === 'string' ? { path: source } : source;
}

/**
 * Reads at most `limit` bytes; `complete` is false when the file is longer. `inMemory`, the whole
 * file when the caller holds it, is read instead of the file.
 */
export async function readPrefix(filePath: string, limit: number, inMemory?: Buffer): Promise<{ bytes: Buffer; complete: boolean }> {
  if (inMemory) return { bytes: inMemory.subarray(0, limit), complete: inMemory.length <= limit };
  const handle = await fs.open(filePath, 'r');
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, limit);
    const bytes = Buffer.alloc(length);
    let offset = 0;
    while (offset < length) {
      const { bytesRead } = await handle.read(bytes, offset, length - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    return { bytes: bytes.subarray(0, offset), complete: size <= limit };
  } finally {
    await handle.close();
  }
}
