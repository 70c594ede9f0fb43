-- redrive on PostgreSQL, schema version 7: an index for each dead-letter filter the dashboard
-- offers that had none (entity, failure type) or one that could not give the newest first (queue):
-- at a million entries a first page filtered on one of them read most of the table (0.8-1.6 s).
-- Each ends with the list order (newest first, then seq), so a page stops after its rows.
CREATE INDEX IF NOT EXISTS dead_letters_queue_time ON :SCHEMA.dead_letters (queue, dead_lettered_at DESC, seq);
CREATE INDEX IF NOT EXISTS dead_letters_entity_time ON :SCHEMA.dead_letters (entity_id, dead_lettered_at DESC, seq)
  WHERE entity_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS dead_letters_failure_type_time ON :SCHEMA.dead_letters (failure_type, dead_lettered_at DESC, seq);
