-- Named consumer cursors of the change feed (`docsync changes --consumer NAME`, followChanges with
-- `consumer`): each consumer's last handled seq, advanced only after its handler succeeded. And a
-- wake-up for followers: one NOTIFY per inserting statement, delivered at commit. The seq read is
-- the truth; a lost notification only delays a follower until its next poll.
CREATE TABLE IF NOT EXISTS change_consumers (
  name text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'),
  seq bigint NOT NULL DEFAULT 0 CHECK (seq >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION docsync_notify_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('docsync_changes', '');
  RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS changes_notify ON changes;
CREATE TRIGGER changes_notify AFTER INSERT ON changes FOR EACH STATEMENT EXECUTE FUNCTION docsync_notify_changes();
