// The Docsync* search attributes a namespace needs: which are missing (the worker checks at start,
// `docsync setup` registers them), and the one message that says how to fix it.
import type { ConnectionLike } from '@temporalio/client';
import { searchAttributes } from '../workflows/definitions.js';

/** temporal.api.enums.v1.IndexedValueType, for the two types the workflows use. */
const INDEXED_VALUE_TYPE = { KEYWORD: 2, DATETIME: 6 } as const;

/** Name → IndexedValueType of every attribute the workflows and `docsync sync` set. */
export const REQUIRED_SEARCH_ATTRIBUTES: Record<string, number> = Object.fromEntries(
  Object.values(searchAttributes).map((key) => [key.name, INDEXED_VALUE_TYPE[key.type as keyof typeof INDEXED_VALUE_TYPE]]),
);

export async function missingSearchAttributes(connection: ConnectionLike, namespace: string): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  return Object.keys(REQUIRED_SEARCH_ATTRIBUTES).filter((name) => !customAttributes || !(name in customAttributes));
}

export function missingSearchAttributesMessage(namespace: string, missing: string[]): string {
  return (
    `namespace "${namespace}" lacks the search attributes ${missing.join(', ')}: register them with ` +
    `\`docsync setup --namespace ${namespace}\` (or start syncs with --no-search-attributes)`
  );
}

/** The server's refusal of a start whose search attributes the namespace does not define. */
export function isUndefinedSearchAttributeError(err: unknown): boolean {
  for (let e = err as (Error & { cause?: unknown }) | undefined; e; e = e.cause as typeof e) {
    if (/search attribute|no mapping defined/i.test(e.message ?? '')) return true;
  }
  return false;
}
