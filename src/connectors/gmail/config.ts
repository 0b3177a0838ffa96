// Gmail connector config: Google credentials (user OAuth or service account impersonating the
// mailbox owner), which messages to sync, and test-only endpoints.
import { z } from 'zod';
import { googleConfigSchema } from '../google/api.js';

export const GMAIL_MAX_PAGE_SIZE = 500;
export const GMAIL_SCOPES = ['https://www.googleapis.com/auth/gmail.readonly'];

export const gmailConfigSchema = googleConfigSchema({
  /** messages.list maxResults (Gmail allows up to 500) and history.list page size. */
  pageSize: z.number().int().min(1).max(GMAIL_MAX_PAGE_SIZE).default(500),
  /** Only messages carrying all these labels (e.g. ["INBOX"]); moves in/out are followed. */
  labelIds: z.array(z.string().min(1)).optional(),
  /**
   * Gmail search for the full listing. History records cannot be matched against a query, so
   * later additions are filtered by labelIds only; a resync re-applies the query.
   */
  q: z.string().min(1).optional(),
  includeSpamTrash: z.boolean().default(false),
});

export type GmailConfig = z.output<typeof gmailConfigSchema>;
export type GmailConfigInput = z.input<typeof gmailConfigSchema>;

/** Whether a message with these labels belongs to the synced set. */
export function inScope(config: GmailConfig, labels: ReadonlyArray<string>): boolean {
  const wanted = config.labelIds ?? [];
  if (!wanted.every((l) => labels.includes(l))) return false;
  if (config.includeSpamTrash) return true;
  return !labels.some((l) => (l === 'SPAM' || l === 'TRASH') && !wanted.includes(l));
}
