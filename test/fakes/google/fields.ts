// Google "partial response" (`fields=nextPageToken,files(id,name)`): the fakes apply it so a
// connector that forgets a field gets it missing, as it would from the real API.

type FieldTree = Map<string, FieldTree | true>;

export function parseFields(spec: string): FieldTree {
  let pos = 0;
  const parseList = (): FieldTree => {
    const tree: FieldTree = new Map();
    while (pos < spec.length) {
      const start = pos;
      while (pos < spec.length && !',()'.includes(spec[pos])) pos++;
      const path = spec.slice(start, pos).trim();
      let sub: FieldTree | true = true;
      if (spec[pos] === '(') {
        pos++;
        sub = parseList();
        pos++; // ')'
      }
      if (path) addPath(tree, path.split('/'), sub);
      if (spec[pos] === ',') pos++;
      else if (spec[pos] === ')' || pos >= spec.length) break;
    }
    return tree;
  };
  return parseList();
}

function addPath(tree: FieldTree, parts: string[], leaf: FieldTree | true): void {
  const [head, ...rest] = parts;
  if (rest.length === 0) {
    tree.set(head, leaf);
    return;
  }
  const existing = tree.get(head);
  const child: FieldTree = existing instanceof Map ? existing : new Map();
  tree.set(head, child);
  addPath(child, rest, leaf);
}

/** Keeps only the selected fields; `*` or no spec keeps everything. */
export function selectFields(value: unknown, spec: string | null | undefined): unknown {
  if (!spec || spec.trim() === '*') return value;
  return apply(value, parseFields(spec));
}

function apply(value: unknown, tree: FieldTree): unknown {
  if (Array.isArray(value)) return value.map((v) => apply(v, tree));
  if (!value || typeof value !== 'object') return value;
  if (tree.has('*')) return value;
  const out: Record<string, unknown> = {};
  for (const [key, sub] of tree) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue;
    out[key] = sub === true ? v : apply(v, sub);
  }
  return out;
}
