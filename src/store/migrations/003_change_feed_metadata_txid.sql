-- Change feed v2 (store/changes.ts explains the ordering proof):
-- 1. a 'metadata' kind for renames, moves and other changes of what a consumer sees that are not a
--    new version;
-- 2. each change row records the transaction that wrote it (txid), and its seq is taken from that
--    transaction's own block of 2^22 numbers (txid * 4194304 + 1, + 2, ...), so seq order is
--    transaction order and readers can stop below the oldest running transaction instead of every
--    writer taking one global advisory lock. The CHECK holds every new row to that (old rows,
--    numbered by the bigserial, are below every block of a transaction started after this one).
ALTER TABLE changes DROP CONSTRAINT changes_kind_check;
ALTER TABLE changes ADD CONSTRAINT changes_kind_check CHECK (kind IN ('upsert', 'delete', 'content', 'metadata'));

DO $$
BEGIN
  IF (SELECT coalesce(max(seq), 0) FROM changes) >= pg_current_xact_id()::text::bigint * 4194304 THEN
    RAISE EXCEPTION 'changes.seq already reaches the transaction-numbered range; renumbering is needed first';
  END IF;
END $$;

-- Existing rows get this migration's id: a finished transaction older than any later writer.
ALTER TABLE changes ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE changes ADD CONSTRAINT changes_seq_in_txid_block CHECK (seq / 4194304 = txid::text::bigint) NOT VALID;
