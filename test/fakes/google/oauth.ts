// Fake Google OAuth token endpoint (`POST /token`): the refresh_token grant for user OAuth and
// the JWT-bearer grant for service accounts (RS256 assertions checked against registered keys).
import crypto from 'node:crypto';
import type { FakeHttpServer, FakeRequest, FakeResponse } from './http.js';

export interface IssuedToken {
  grant: 'refresh_token' | 'jwt-bearer';
  /** Service accounts: the impersonated user (`sub`) and requested scopes. */
  subject?: string;
  scope?: string;
  audience?: string;
  at: number;
}

const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export class FakeOAuth {
  readonly clientId = 'fake-client.apps.googleusercontent.com';
  readonly clientSecret = `GOCSPX-fake-${crypto.randomBytes(9).toString('hex')}`;
  readonly refreshToken = `1//fake-refresh-${crypto.randomBytes(12).toString('hex')}`;
  /** Tokens handed out, in order. */
  readonly issued: IssuedToken[] = [];
  expiresInSeconds = 3599;
  private readonly valid = new Set<string>();
  private revoked = false;
  private readonly serviceAccounts = new Map<string, crypto.KeyObject>();

  register(server: FakeHttpServer): void {
    server.route('oauth.token', 'POST', '/token', (req) => this.token(req), false);
  }

  isValid(token: string): boolean {
    return this.valid.has(token);
  }

  /** Issues a valid access token directly (to seed a config with a working token). */
  issueAccessToken(): string {
    const token = `ya29.fake-${crypto.randomBytes(16).toString('hex')}`;
    this.valid.add(token);
    return token;
  }

  /** Every access token issued so far stops working (API calls with them get 401). */
  expireAccessTokens(): void {
    this.valid.clear();
  }

  /** The user's refresh token is revoked: refreshing gets 400 invalid_grant. */
  revokeRefreshToken(): void {
    this.revoked = true;
    this.valid.clear();
  }

  /** Undoes revokeRefreshToken (the user re-authorized the app). */
  restoreRefreshToken(): void {
    this.revoked = false;
  }

  registerServiceAccount(clientEmail: string, publicKeyPem: string): void {
    this.serviceAccounts.set(clientEmail, crypto.createPublicKey(publicKeyPem));
  }

  private token(req: FakeRequest): FakeResponse {
    const form = new URLSearchParams(req.body);
    const grant = form.get('grant_type');
    if (grant === 'refresh_token') return this.refreshGrant(form);
    if (grant === JWT_GRANT) return this.jwtGrant(form.get('assertion') ?? '');
    return oauthError(400, 'unsupported_grant_type', 'Invalid grant_type');
  }

  private refreshGrant(form: URLSearchParams): FakeResponse {
    if (form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret) {
      return oauthError(401, 'invalid_client', 'The OAuth client was not found.');
    }
    if (this.revoked || form.get('refresh_token') !== this.refreshToken) {
      return oauthError(400, 'invalid_grant', 'Token has been expired or revoked.');
    }
    this.issued.push({ grant: 'refresh_token', at: Date.now() });
    return this.grant('https://www.googleapis.com/auth/drive.readonly https://www.googleapis.com/auth/gmail.readonly');
  }

  private jwtGrant(assertion: string): FakeResponse {
    const [h, p, s] = assertion.split('.');
    if (!h || !p || !s) return oauthError(400, 'invalid_grant', 'Invalid JWT.');
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: string };
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
    const key = this.serviceAccounts.get(String(claims.iss));
    if (!key) return oauthError(401, 'invalid_client', 'The OAuth client was not found.');
    const signed = crypto.verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'));
    if (header.alg !== 'RS256' || !signed) return oauthError(400, 'invalid_grant', 'Invalid JWT Signature.');
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.exp !== 'number' || claims.exp < now)
      return oauthError(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token.');
    if (typeof claims.scope !== 'string' || !claims.scope)
      return oauthError(400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    this.issued.push({
      grant: 'jwt-bearer',
      subject: typeof claims.sub === 'string' ? claims.sub : undefined,
      scope: claims.scope,
      audience: String(claims.aud),
      at: Date.now(),
    });
    return this.grant(claims.scope);
  }

  private grant(scope: string): FakeResponse {
    const accessToken = this.issueAccessToken();
    return {
      status: 200,
      body: { access_token: accessToken, expires_in: this.expiresInSeconds, scope, token_type: 'Bearer' },
    };
  }
}

/** OAuth endpoints answer with the RFC 6749 error shape, not the API envelope. */
function oauthError(status: number, error: string, description: string): FakeResponse {
  return { status, body: { error, error_description: description } };
}
