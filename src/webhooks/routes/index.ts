// The receiver's routes, one per source; each file verifies its provider's notifications.
import type { Pool } from 'pg';
import type { WebhookRoute } from '../route.js';
import { gdriveRoute } from './gdrive.js';
import { gmailRoute, type GmailRouteDeps } from './gmail.js';

export interface RouteDeps {
  // Filled in by the routes: pool, secrets, logger (see each route).
  [key: string]: unknown;
  /** Push state (store/push.ts): channels, accounts, deliveries. */
  pool?: Pool;
  /** DOCSYNC_PUSH_SECRET: Drive channel tokens are derived from it. */
  pushSecret?: string;
  /** Gmail Pub/Sub push verification (routes/gmail.ts); the route is served when set. */
  gmail?: Omit<GmailRouteDeps, 'pool'>;
}

export function webhookRoutes(deps: RouteDeps): WebhookRoute[] {
  return [
    ...(deps.pool && deps.pushSecret ? [gdriveRoute({ pool: deps.pool, pushSecret: deps.pushSecret })] : []),
    ...(deps.pool && (deps.gmail?.audience || deps.gmail?.pushToken) ? [gmailRoute({ pool: deps.pool, ...deps.gmail })] : []),
  ];
}
