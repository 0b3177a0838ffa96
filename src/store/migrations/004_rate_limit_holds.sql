-- Rate-limit holds per credential, shared by every worker of the deployment: once any worker is told
-- to wait (429 / Retry-After, Google's 403 rateLimitExceeded), every worker refuses calls with that
-- credential until retry_at instead of spending requests inside the announced wait.
CREATE TABLE IF NOT EXISTS rate_limit_holds (
  credential_key text PRIMARY KEY,
  retry_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
