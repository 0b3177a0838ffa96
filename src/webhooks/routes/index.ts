// The receiver's routes, one per source; each file verifies its provider's notifications.
import type { WebhookRoute } from '../route.js';

export interface RouteDeps {
  // Filled in by the routes: pool, secrets, logger (see each route).
  [key: string]: unknown;
}

export function webhookRoutes(_deps: RouteDeps): WebhookRoute[] {
  return [];
}
