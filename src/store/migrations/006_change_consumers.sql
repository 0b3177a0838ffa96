-- Named consumer cursors of the change feed (`docsync changes --consumer NAME`, followChanges with
-- `consumer`): each consumer's last handled seq, advanced only after its handler succeeded.
-- (No NOTIFY trigger on `changes`: a transaction that notifies takes a cluster-wide lock at commit,
-- which would serialise every writer again. Workers notify after their writes commit, throttled:
-- store/follow-changes.ts ChangeAnnouncer.)
CREATE TABLE IF NOT EXISTS change_consumers (
  name text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'),
  seq bigint NOT NULL DEFAULT 0 CHECK (seq >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
