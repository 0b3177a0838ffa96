// The receiver's routes, one per source; each file verifies its provider's notifications and is
// mounted only when its settings are present in the environment.
import type { Pool } from 'pg';
import type { WebhookRoute } from '../route.js';
import { dropboxRoutesFromEnv } from './dropbox.js';

export interface RouteDeps {
  pool: Pool;
  env: NodeJS.ProcessEnv;
}

export function webhookRoutes(deps: RouteDeps): WebhookRoute[] {
  return [...dropboxRoutesFromEnv(deps.pool, deps.env)];
}
