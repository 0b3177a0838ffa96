// Fake Gmail push through Pub/Sub: users.watch / users.stop, and a push subscription that POSTs
// the Pub/Sub push envelope to an endpoint after each mailbox change while the watch is on, with an
// OIDC token (RS256, Google's claims) signed by a test key whose certificates the fake serves at
// `/oauth2/v1/certs` like Google does (PEM by key id; here SubjectPublicKeyInfo PEM, which the
// verifier reads the same way as an X.509 certificate). Tests can also forge and replay pushes.
import crypto from 'node:crypto';
import type { FakeGmail } from './gmail.js';
import { googleError, type FakeHttpServer, type FakeRequest, type FakeResponse } from './http.js';

/** Gmail watches expire after 7 days unless renewed. */
const WATCH_TTL_MS = 7 * 24 * 3600_000;

export interface PushSubscription {
  /** The push endpoint, e.g. `<receiver>/gmail` (or with `?token=` when no OIDC is used). */
  endpoint: string;
  /** The OIDC audience set on the subscription; undefined = no Authorization header. */
  audience?: string;
  serviceAccountEmail?: string;
}

export interface PushOptions {
  /** Sign with another key (a forged token). */
  wrongKey?: boolean;
  audience?: string;
  issuer?: string;
  /** Reuse a messageId (a redelivery or a replay). */
  messageId?: string;
  emailAddress?: string;
}

export interface GmailDelivery {
  messageId: string;
  status: number;
}

export class FakeGmailPush {
  readonly keyId = crypto.randomBytes(8).toString('hex');
  readonly deliveries: GmailDelivery[] = [];
  watch?: { topicName: string; labelIds?: string[]; expiration: number };
  readonly stops: number[] = [];
  subscription?: PushSubscription;
  private readonly key = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly otherKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  /** Pub/Sub messageIds are unique across the project: a fresh fake must not reuse another's. */
  private nextMessageId = crypto.randomInt(1e12, 9e12);
  private readonly sending = new Set<Promise<void>>();

  constructor(private readonly gmail: FakeGmail) {
    gmail.changeListeners.push(() => {
      if (this.watch && this.watch.expiration > Date.now() && this.subscription) void this.push();
    });
  }

  register(server: FakeHttpServer): void {
    const base = '/gmail/v1/users/:userId';
    server.route('gmail.users.watch', 'POST', `${base}/watch`, (req) => this.startWatch(req));
    server.route('gmail.users.stop', 'POST', `${base}/stop`, (req) => this.stopWatch(req));
    server.route('oauth2.certs', 'GET', '/oauth2/v1/certs', () => this.certs(), false);
  }

  /** Sends one push for the mailbox now (whether or not a watch is on), as the subscription would. */
  push(options: PushOptions = {}): Promise<GmailDelivery> {
    const subscription = this.subscription;
    if (!subscription) throw new Error('fake gmail push: no push subscription');
    const messageId = options.messageId ?? String(this.nextMessageId++);
    const data = { emailAddress: options.emailAddress ?? this.gmail.emailAddress, historyId: this.gmail.currentHistoryId() };
    const publishTime = new Date().toISOString();
    const envelope = {
      message: {
        data: Buffer.from(JSON.stringify(data)).toString('base64'),
        messageId,
        message_id: messageId,
        publishTime,
        publish_time: publishTime,
      },
      subscription: 'projects/docsync-test/subscriptions/gmail-push',
    };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const audience = options.audience ?? subscription.audience;
    if (audience) headers.authorization = `Bearer ${this.oidcToken(audience, subscription, options)}`;
    const delivery: GmailDelivery = { messageId, status: 0 };
    const done = fetch(subscription.endpoint, { method: 'POST', headers, body: JSON.stringify(envelope) })
      .then(async (res) => {
        delivery.status = res.status;
        await res.arrayBuffer();
      })
      .catch(() => {})
      .then(() => {
        this.deliveries.push(delivery);
        return delivery;
      });
    const tracked = done.then(() => undefined);
    this.sending.add(tracked);
    void tracked.finally(() => this.sending.delete(tracked));
    return done;
  }

  async idle(): Promise<void> {
    while (this.sending.size > 0) await Promise.all([...this.sending]);
  }

  /** A Google-signed OIDC token as Pub/Sub attaches it (iss accounts.google.com, aud, email). */
  private oidcToken(audience: string, subscription: PushSubscription, options: PushOptions): string {
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', kid: this.keyId, typ: 'JWT' };
    const claims = {
      aud: audience,
      azp: '1234567890',
      email: subscription.serviceAccountEmail ?? 'push@docsync-test.iam.gserviceaccount.com',
      email_verified: true,
      exp: now + 3600,
      iat: now,
      iss: options.issuer ?? 'https://accounts.google.com',
      sub: '1234567890',
    };
    const encode = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const signed = `${encode(header)}.${encode(claims)}`;
    const key = options.wrongKey ? this.otherKey.privateKey : this.key.privateKey;
    return `${signed}.${crypto.sign('RSA-SHA256', Buffer.from(signed), key).toString('base64url')}`;
  }

  private certs(): FakeResponse {
    const pem = this.key.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    return { status: 200, headers: { 'cache-control': 'public, max-age=3600' }, body: { [this.keyId]: pem } };
  }

  private mailboxOf(req: FakeRequest): FakeResponse | undefined {
    const user = req.params.userId;
    if (user !== 'me' && user !== this.gmail.emailAddress)
      return googleError(403, 'forbidden', 'Delegation denied for ' + this.gmail.emailAddress);
    return undefined;
  }

  private startWatch(req: FakeRequest): FakeResponse {
    const denied = this.mailboxOf(req);
    if (denied) return denied;
    let body: { topicName?: string; labelIds?: string[] };
    try {
      body = JSON.parse(req.body || '{}') as typeof body;
    } catch {
      return googleError(400, 'parseError', 'Parse Error');
    }
    if (!body.topicName || !/^projects\/[^/]+\/topics\/[^/]+$/.test(body.topicName)) {
      return googleError(400, 'invalidArgument', 'Invalid topicName does not match projects/SOME-PROJECT/topics/SOME-TOPIC');
    }
    // Calling watch again replaces (renews) the mailbox's one watch.
    this.watch = { topicName: body.topicName, labelIds: body.labelIds, expiration: Date.now() + WATCH_TTL_MS };
    return { status: 200, body: { historyId: this.gmail.currentHistoryId(), expiration: String(this.watch.expiration) } };
  }

  private stopWatch(req: FakeRequest): FakeResponse {
    const denied = this.mailboxOf(req);
    if (denied) return denied;
    this.watch = undefined;
    this.stops.push(Date.now());
    return { status: 204 };
  }
}
