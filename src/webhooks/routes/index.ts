// The receiver's routes, one per source; each file verifies its provider's notifications and is
// mounted only when its settings are present (explicit deps first, else the environment).
import type { Pool } from 'pg';
import type { WebhookRoute } from '../route.js';
import { dropboxRoutesFromEnv } from './dropbox.js';
import { gdriveRoute } from './gdrive.js';
import { gmailRoute, type GmailRouteDeps } from './gmail.js';

export interface RouteDeps {
  /** Push state (store/push.ts): channels, accounts, deliveries. */
  pool: Pool;
  env?: NodeJS.ProcessEnv;
  /** DOCSYNC_PUSH_SECRET: Drive channel tokens are derived from it. */
  pushSecret?: string;
  /** Gmail Pub/Sub push verification (routes/gmail.ts); the route is served when an audience or a push token is set. */
  gmail?: Omit<GmailRouteDeps, 'pool'>;
}

function gmailFromEnv(env: NodeJS.ProcessEnv): Omit<GmailRouteDeps, 'pool'> {
  return {
    audience: env.DOCSYNC_GMAIL_PUSH_AUDIENCE || undefined,
    serviceAccount: env.DOCSYNC_GMAIL_PUSH_SERVICE_ACCOUNT || undefined,
    pushToken: env.DOCSYNC_GMAIL_PUSH_TOKEN || undefined,
    certsUrl: env.DOCSYNC_GMAIL_PUSH_CERTS_URL || undefined,
  };
}

export function webhookRoutes(deps: RouteDeps): WebhookRoute[] {
  const env = deps.env ?? {};
  const pushSecret = deps.pushSecret ?? (env.DOCSYNC_PUSH_SECRET || undefined);
  const gmail = deps.gmail ?? gmailFromEnv(env);
  return [
    ...(deps.env ? dropboxRoutesFromEnv(deps.pool, deps.env) : []),
    ...(pushSecret ? [gdriveRoute({ pool: deps.pool, pushSecret })] : []),
    ...(gmail.audience || gmail.pushToken ? [gmailRoute({ pool: deps.pool, ...gmail })] : []),
  ];
}
