// Reads what a failed googleapis/gaxios call tells (status, API reason, OAuth error, Retry-After,
// network code). Checks fields, never classes: two gaxios copies are loaded, so `instanceof
// GaxiosError` is unreliable. Imported by errors.ts (mapping) and rate-limit.ts (when to retry).

/** What we read from a failed Google call: all optional, since network errors have no response. */
export interface GoogleFailure {
  status?: number;
  /** First `errors[].reason` of the API envelope (e.g. `userRateLimitExceeded`). */
  reason?: string;
  /** Envelope message, or the OAuth `error_description`. */
  message?: string;
  /** OAuth token endpoint error code (`invalid_grant`, `invalid_client`...). */
  oauthError?: string;
  /** `location` of the first error (e.g. `pageToken`). */
  location?: string;
  retryAfter?: string;
  /** Node/undici error code for failures without a response (ECONNRESET...). */
  networkCode?: string;
}

interface Envelope {
  error?: string | { code?: number; message?: string; errors?: Array<{ reason?: string; message?: string; location?: string }> };
  error_description?: string;
}

export function readGoogleFailure(err: unknown): GoogleFailure {
  const e = err as {
    status?: number;
    code?: unknown;
    message?: string;
    response?: { status?: number; data?: unknown; headers?: { get?: (name: string) => string | null } };
  };
  const status = e?.response?.status ?? (typeof e?.status === 'number' ? e.status : undefined);
  const envelope = parseEnvelope(e?.response?.data) ?? parseEnvelope(e?.message);
  const failure: GoogleFailure = { status };
  if (typeof envelope?.error === 'string') {
    failure.oauthError = envelope.error;
    failure.message = envelope.error_description;
  } else if (envelope?.error) {
    const first = envelope.error.errors?.[0];
    failure.reason = first?.reason;
    failure.location = first?.location;
    failure.message = envelope.error.message ?? first?.message;
  }
  const retryAfter = typeof e?.response?.headers?.get === 'function' ? e.response.headers.get('retry-after') : undefined;
  if (retryAfter) failure.retryAfter = retryAfter;
  if (status === undefined && typeof e?.code === 'string') failure.networkCode = e.code;
  return failure;
}

/** Streamed error bodies arrive as strings (or inside err.message); parse when it is JSON. */
function parseEnvelope(data: unknown): Envelope | undefined {
  if (data && typeof data === 'object' && 'error' in data) return data as Envelope;
  if (typeof data !== 'string' || !data.trim().startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(data) as unknown;
    return parsed && typeof parsed === 'object' && 'error' in parsed ? (parsed as Envelope) : undefined;
  } catch {
    return undefined;
  }
}
