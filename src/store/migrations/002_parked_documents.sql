-- Poison documents: a document whose retrieval kept failing is parked (status 'failed') with the
-- time it was parked; a parked or explicitly re-requested document is queued again at the end of
-- the next sync's listing. `attempts` counts failed download attempts of the current version.
ALTER TABLE documents ADD COLUMN parked_at timestamptz;
ALTER TABLE documents ADD COLUMN retry_requested_at timestamptz;
ALTER TABLE documents ADD COLUMN last_attempt_at timestamptz;
CREATE INDEX documents_retry_due ON documents (connector, user_id)
  WHERE deleted_at IS NULL AND (parked_at IS NOT NULL OR retry_requested_at IS NOT NULL);
