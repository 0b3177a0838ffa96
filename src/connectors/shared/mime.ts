// The one MIME-by-file-name lookup (connectors and text extraction): the `mime-types` database
// plus the few extensions it lacks or maps to something other than the documents we sync.
import path from 'node:path';
import mime from 'mime-types';

export const DEFAULT_MIME_TYPE = 'application/octet-stream';

/** Only where mime-types is silent or wrong for documents. */
const OVERRIDES: Record<string, string> = {
  // mime-types says video/mp2t (MPEG transport stream); synced files named .ts are TypeScript.
  // A real transport stream is still recognised by its bytes (extract/detect.ts sniffs first).
  ts: 'text/plain',
  // mime-types has text/yaml; RFC 9512 registers application/yaml.
  yaml: 'application/yaml',
  yml: 'application/yaml',
  // Not in mime-types.
  py: 'text/x-python',
  paper: 'application/vnd.dropbox.paper',
};

/** The type a file name's extension suggests (lower case), or undefined when it has none we know. */
export function mimeTypeFromName(fileName: string | undefined): string | undefined {
  if (!fileName) return undefined;
  // extname, not mime.lookup(name): lookup takes a bare "pdf" (a file named pdf) for an extension.
  const ext = path.posix.extname(fileName).slice(1).toLowerCase();
  if (!ext) return undefined;
  const found = OVERRIDES[ext] ?? mime.lookup(ext);
  return found ? found.toLowerCase() : undefined;
}

/** mimeTypeFromName with a fallback (application/octet-stream unless given). */
export function guessMimeType(fileName: string, fallback: string = DEFAULT_MIME_TYPE): string {
  return mimeTypeFromName(fileName) ?? fallback;
}
