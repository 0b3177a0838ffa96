// Removes credentials from text that may end up in an error message or a log line
// (provider error bodies sometimes echo the Authorization header or query parameters).

const TOKEN_PATTERNS: RegExp[] = [
  /(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi,
  /((?:access_token|refresh_token|client_secret|code|token)=)[^&\s"']+/gi,
];

export function redactSecrets(text: string, secrets: ReadonlyArray<string | undefined> = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  out = out.replace(TOKEN_PATTERNS[0], '$1 [redacted]');
  out = out.replace(TOKEN_PATTERNS[1], '$1[redacted]');
  return out;
}

/** A short single-line excerpt of a response body, safe to put in an error message. */
export function bodyExcerpt(text: string, secrets: ReadonlyArray<string | undefined> = [], max = 200): string {
  const line = redactSecrets(text, secrets).replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
