-- An update wakes workers only for rows that become waiting (a release, a retry due now, a lease
-- recovery, a promotion), by a row trigger whose condition is checked as each row is written.
-- The statement trigger it replaces copied every updated row into a transition table and scanned
-- it, on the hot path too: each claim and each completion of a batch (state going to active or
-- completed), each heartbeat and each progress report paid a copy of every row, payload included,
-- to notify no one. A row that was already waiting wakes no one new: it woke workers when it
-- became waiting. Inserts keep their statement trigger (one notification per queue per batch).
DROP TRIGGER jobs_updated ON :SCHEMA.jobs;

CREATE FUNCTION :SCHEMA.notify_became_waiting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Repeats within a transaction are folded into one notification by PostgreSQL.
  PERFORM pg_notify(TG_ARGV[0], NEW.queue);
  RETURN NULL;
END $$;

CREATE TRIGGER jobs_became_waiting AFTER UPDATE ON :SCHEMA.jobs
  FOR EACH ROW WHEN (NEW.state = 'waiting' AND OLD.state IS DISTINCT FROM 'waiting')
  EXECUTE FUNCTION :SCHEMA.notify_became_waiting(:CHANNEL);
