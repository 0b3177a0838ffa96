-- Shared app quotas, one row per connector: the GCRA "theoretical arrival time" of the app's budget
-- (requests or quota units per second across every user and every worker). A worker reserves a block
-- of slots by moving tat forward in one UPDATE and spaces its requests inside that block itself.
CREATE TABLE IF NOT EXISTS app_quotas (
  connector text PRIMARY KEY,
  tat timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
