// One fake Google on 127.0.0.1 (random port): Drive v3, Gmail v1 and the OAuth token endpoint,
// sharing the access tokens the token endpoint issues. See each part for its test API.
import { FakeHttpServer, type Failure, type LoggedRequest } from './http.js';
import { FakeOAuth } from './oauth.js';
import { FakeDrive, GOOGLE_TYPES } from './drive.js';
import { FakeGmail } from './gmail.js';
import { FakeDrivePush } from './drive-push.js';
import { FakeGmailPush } from './gmail-push.js';

export { FakeOAuth, FakeDrive, FakeGmail, GOOGLE_TYPES };
export type { Failure, LoggedRequest };

/** Route names used by `count`, `counts` and `failNext`. */
export type FakeGoogleRoute =
  | 'oauth.token'
  | 'drive.about.get'
  | 'drive.changes.getStartPageToken'
  | 'drive.changes.list'
  | 'drive.files.list'
  | 'drive.files.get'
  | 'drive.files.export'
  | 'drive.changes.watch'
  | 'drive.channels.stop'
  | 'gmail.users.getProfile'
  | 'gmail.messages.list'
  | 'gmail.messages.get'
  | 'gmail.messages.get.metadata'
  | 'gmail.history.list'
  | 'gmail.users.watch'
  | 'gmail.users.stop'
  | 'oauth2.certs';

export interface FakeGoogle {
  /** `http://127.0.0.1:<port>`: the connectors' `apiBaseUrl`. */
  url: string;
  /** `<url>/token`: the connectors' `tokenUrl`. */
  tokenUrl: string;
  oauth: FakeOAuth;
  drive: FakeDrive;
  gmail: FakeGmail;
  /** Drive push channels (changes.watch, channels.stop) and their notifications. */
  drivePush: FakeDrivePush;
  /** Gmail users.watch / users.stop and the Pub/Sub push subscription; certs at `<url>/oauth2/v1/certs`. */
  gmailPush: FakeGmailPush;
  /** Every request answered, in order (route, method, path, query, status, at = epoch ms). */
  requests: LoggedRequest[];
  failNext(route: FakeGoogleRoute, failure: Failure, times?: number): void;
  /** Runs `action` as the next request to `route` arrives, before its token is checked. */
  onNextArrival(route: FakeGoogleRoute, action: () => void): void;
  /** Drops failures queued with failNext that were not used. */
  clearFailures(): void;
  count(route?: FakeGoogleRoute): number;
  counts(): Record<string, number>;
  clearLog(): void;
  close(): Promise<void>;
}

export async function startFakeGoogle(): Promise<FakeGoogle> {
  const oauth = new FakeOAuth();
  const server = new FakeHttpServer((token) => oauth.isValid(token));
  const drive = new FakeDrive();
  const gmail = new FakeGmail();
  oauth.register(server);
  const drivePush = new FakeDrivePush(drive);
  const gmailPush = new FakeGmailPush(gmail);
  drive.register(server);
  gmail.register(server);
  drivePush.register(server);
  gmailPush.register(server);
  const url = await server.listen();
  return {
    url,
    tokenUrl: `${url}/token`,
    oauth,
    drive,
    gmail,
    drivePush,
    gmailPush,
    requests: server.requests,
    failNext: (route, failure, times) => server.failNext(route, failure, times),
    onNextArrival: (route, action) => server.onNextArrival(route, action),
    clearFailures: () => server.clearFailures(),
    count: (route) => server.count(route),
    counts: () => server.counts(),
    clearLog: () => server.clearLog(),
    close: () => server.close(),
  };
}

/** Ready-made failures in Google's shapes. */
export const googleFailures = {
  userRateLimit: (): Failure => ({ status: 403, reason: 'userRateLimitExceeded' }),
  rateLimit: (): Failure => ({ status: 403, reason: 'rateLimitExceeded' }),
  tooManyRequests: (retryAfter?: string): Failure => ({ status: 429, reason: 'rateLimitExceeded', retryAfter }),
  serverError: (status = 500): Failure => ({ status, reason: 'backendError' }),
  network: (): Failure => 'network',
};
