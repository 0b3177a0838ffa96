// Relative paths as external ids: POSIX separators, one canonical form, never outside root.
import path from 'node:path';

/** The order of the walk: by path segment, each compared by UTF-16 code units. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/**
 * The absolute path of an external id, or an Error when the id is not a canonical relative
 * path inside root ("../x", "/etc/passwd", "a/../../x", "a//b", NUL bytes...).
 */
export function resolveExternalId(root: string, externalId: string): string {
  const segments = externalId.split('/');
  const canonical =
    externalId.length > 0 &&
    !externalId.includes('\0') &&
    segments.every((s) => s !== '' && s !== '.' && s !== '..' && (path.sep === '/' || !s.includes(path.sep)));
  const resolved = path.resolve(root, ...segments);
  if (!canonical || !isInside(root, resolved) || resolved === path.resolve(root)) {
    throw new Error(`filesystem: external id ${JSON.stringify(externalId)} resolves outside the root ${root}`);
  }
  return resolved;
}
