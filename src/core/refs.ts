// How documents, users and connectors are named across layers: the keys the store uses and the
// small references that travel through workflow history (ids and versions, never content or secrets).
import type { JsonObject } from './contract.js';

/** One user's documents of one connector. */
export interface DocKey {
  connector: string;
  userId: string;
}

/** What the workflow needs to fetch one document: ids and version only. */
export interface DocRef {
  externalId: string;
  version: string;
}

/** Identifies the user and connector in every activity call; `config` holds no secrets. */
export interface ConnectorRef {
  connector: string;
  userId: string;
  credentialRef?: string;
  config?: JsonObject;
  workflowId?: string;
}
