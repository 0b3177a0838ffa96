// /gmail: Gmail change notifications through a Pub/Sub push subscription. Authenticity first: with
// an audience configured, the push's OIDC bearer token (signature against Google's certificates,
// audience, issuer, optionally the service account); otherwise a secret token in the push URL.
// Then each Pub/Sub messageId is accepted once, and the emailAddress in `message.data` (the only
// thing read from the body) names the users whose syncs are woken.
import { OAuth2Client } from 'google-auth-library';
import type { Pool } from 'pg';
import { firstDelivery, sameSecret, usersOfAccount } from '../../store/push.js';
import { accepted, refuse, type WebhookOutcome, type WebhookRequest, type WebhookRoute } from '../route.js';

export interface GmailRouteDeps {
  pool: Pool;
  /** DOCSYNC_GMAIL_PUSH_AUDIENCE: the audience set on the push subscription; enables OIDC verification. */
  audience?: string;
  /** DOCSYNC_GMAIL_PUSH_SERVICE_ACCOUNT: the only service account whose pushes are accepted. */
  serviceAccount?: string;
  /** DOCSYNC_GMAIL_PUSH_TOKEN: without an audience, the `?token=` the push endpoint URL carries. */
  pushToken?: string;
  /** Where Google's signing certificates are read (PEM by key id); tests point it at the fake. */
  certsUrl?: string;
}

interface PushEnvelope {
  message?: { data?: unknown; messageId?: unknown; message_id?: unknown };
  subscription?: unknown;
}

/** Pub/Sub answers any non-2xx with a redelivery, so what is understood but useless is acknowledged. */
const ACKNOWLEDGED = accepted();

export function gmailRoute(deps: GmailRouteDeps): WebhookRoute {
  if (!deps.audience && !deps.pushToken) throw new Error('gmail route: set an OIDC audience or a push token');
  const oidc = deps.audience
    ? new OAuth2Client(deps.certsUrl ? { endpoints: { oauth2FederatedSignonPemCertsUrl: deps.certsUrl } } : {})
    : undefined;

  async function authentic(request: WebhookRequest): Promise<WebhookOutcome | undefined> {
    if (!oidc || !deps.audience) {
      const given = request.query.get('token') ?? '';
      return sameSecret(given, deps.pushToken ?? '') ? undefined : refuse(403, 'bad push token');
    }
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!bearer) return refuse(401, 'bearer token required');
    try {
      // Checks signature, expiry, audience and issuer (accounts.google.com). Its errors quote the
      // token, so they are never logged or echoed.
      const ticket = await oidc.verifyIdToken({ idToken: bearer, audience: deps.audience });
      const claims = ticket.getPayload();
      if (deps.serviceAccount && (claims?.email !== deps.serviceAccount || claims.email_verified !== true)) {
        return refuse(403, 'push from another service account');
      }
      return undefined;
    } catch {
      return refuse(401, 'bad bearer token');
    }
  }

  return {
    prefix: '/gmail',
    maxBodyBytes: 64 * 1024,
    async handle(request): Promise<WebhookOutcome> {
      if (request.method !== 'POST') return refuse(405, 'POST only');
      const denied = await authentic(request);
      if (denied) return denied;
      let envelope: PushEnvelope;
      let notice: { emailAddress?: unknown };
      try {
        envelope = JSON.parse(request.body.toString('utf8')) as PushEnvelope;
        const data = envelope.message?.data;
        notice = JSON.parse(Buffer.from(typeof data === 'string' ? data : '', 'base64').toString('utf8')) as typeof notice;
      } catch {
        return refuse(400, 'not a Pub/Sub push');
      }
      const messageId = envelope.message?.messageId ?? envelope.message?.message_id;
      if (typeof messageId !== 'string' || !messageId || typeof notice?.emailAddress !== 'string')
        return refuse(400, 'not a Gmail notification');
      // A messageId seen before is Pub/Sub redelivering (or someone replaying): acknowledged so Pub/Sub
      // stops, nothing woken; the first delivery already woke the sync.
      if (!(await firstDelivery(deps.pool, 'gmail', messageId))) return ACKNOWLEDGED;
      const users = await usersOfAccount(deps.pool, 'gmail', notice.emailAddress.toLowerCase());
      // An unknown address (a mailbox whose user was disconnected) is acknowledged too: nothing to wake.
      return accepted(users.map((userId) => ({ connector: 'gmail', userId })));
    },
  };
}
