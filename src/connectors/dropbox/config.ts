// Dropbox connector config: app credentials + the user's OAuth tokens (secrets, merged in
// from the credential store), what to sync, and test-only host redirection.
import { z } from 'zod';
import { secret } from '../../core/contract.js';
import { requestTimeoutMsField } from '../shared/request-timeout.js';

export const DROPBOX_MAX_PAGE_SIZE = 2000;

export const dropboxConfigSchema = z.object({
  appKey: z.string().min(1),
  appSecret: secret(z.string().min(1)),
  refreshToken: secret(z.string().min(1)),
  /** Last access token issued for refreshToken; refreshed (and saved back) when missing or expiring. */
  accessToken: secret(z.string().min(1).optional()),
  /** ISO-8601. Without it, the first call refreshes the token. */
  accessTokenExpiresAt: z.iso.datetime({ offset: true }).optional(),
  /** Folder to sync ('' = the whole Dropbox). "/Docs/" and "/Docs" are the same. */
  rootPath: z
    .string()
    .default('')
    .transform((p) => (p === '/' ? '' : p.replace(/\/+$/, '')))
    .refine((p) => p === '' || p.startsWith('/'), { message: 'must be empty or start with "/"' }),
  /** Glob patterns on the full Dropbox path ("/docs/**", "**\/*.pdf"); case-insensitive. */
  include: z.array(z.string().min(1)).optional(),
  exclude: z.array(z.string().min(1)).optional(),
  pageSize: z.number().int().min(1).max(DROPBOX_MAX_PAGE_SIZE).default(500),
  /** Deadline for API calls, and for headers / each body chunk of downloads. */
  requestTimeoutMs: requestTimeoutMsField(),
  /**
   * files/list_folder/longpoll `timeout`, seconds (Dropbox allows 30–480 and adds up to 90 s of
   * jitter); the waitForChanges activity's start-to-close leaves room for 480 + 90.
   */
  longpollTimeoutSeconds: z.number().int().min(30).max(480).default(480),
  /** Tests only: send api/content/notify.dropboxapi.com requests to this base URL instead. */
  apiBaseUrl: z.url({ protocol: /^https?$/ }).optional(),
});

export type DropboxConfig = z.output<typeof dropboxConfigSchema>;
export type DropboxConfigInput = z.input<typeof dropboxConfigSchema>;
