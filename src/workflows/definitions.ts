// Signals, queries and search attribute keys of the docsync workflows, shared with clients.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { DocDone, DocRateLimited, SyncSettings, SyncStatus } from './types.js';

export const statusQuery = defineQuery<SyncStatus>('status');
export const settingsQuery = defineQuery<SyncSettings>('settings');
export const syncNowSignal = defineSignal('syncNow');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const resyncSignal = defineSignal('resync');
export const cancelSignal = defineSignal('cancel');
export const docDoneSignal = defineSignal<[DocDone]>('docDone');
export const docRateLimitedSignal = defineSignal<[DocRateLimited]>('docRateLimited');

export const searchAttributes = {
  connector: defineSearchAttributeKey('DocsyncConnector', SearchAttributeType.KEYWORD),
  user: defineSearchAttributeKey('DocsyncUser', SearchAttributeType.KEYWORD),
  phase: defineSearchAttributeKey('DocsyncPhase', SearchAttributeType.KEYWORD),
  nextSyncAt: defineSearchAttributeKey('DocsyncNextSyncAt', SearchAttributeType.DATETIME),
};

export function syncWorkflowId(connector: string, userId: string): string {
  return `sync/${connector}/${userId}`;
}

/** FNV-1a 64-bit, hex: a short stable hash usable in workflow code (no crypto module there). */
export function shortHash(value: string): string {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < value.length; i++) {
    hash ^= BigInt(value.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

export function docWorkflowId(connector: string, userId: string, externalId: string, version: string): string {
  const id = externalId.length <= 200 ? externalId : `h-${shortHash(externalId)}`;
  return `doc/${connector}/${userId}/${id}/${shortHash(version)}`;
}
