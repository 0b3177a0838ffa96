// Reads when a rate-limited HTTP source allows the next call (Retry-After header as
// seconds or HTTP-date, or a seconds value the provider put in its error body).

/** Parses a Retry-After header value; undefined when absent or unparseable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): Date | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return new Date(now + Math.ceil(Number(trimmed) * 1000));
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return new Date(Math.max(at, now));
}

/**
 * The retry time from, in order: the Retry-After header, a seconds count from the body,
 * then a default. A source that says "slow down" without saying how long still gets a pause.
 */
export function resolveRetryAt(
  sources: { header?: string | null; bodySeconds?: unknown; defaultSeconds?: number },
  now: number = Date.now(),
): Date {
  const fromHeader = parseRetryAfter(sources.header, now);
  if (fromHeader) return fromHeader;
  const body = sources.bodySeconds;
  if (typeof body === 'number' && Number.isFinite(body) && body >= 0) return new Date(now + Math.ceil(body * 1000));
  return new Date(now + (sources.defaultSeconds ?? 60) * 1000);
}
