-- redrive on PostgreSQL, schema version 3: per-fingerprint counters for top failures.
-- A row count per (fingerprint, status, domain, queue, failure type) and each fingerprint's first
-- and last sighting and latest entry, kept by statement-level triggers in the same transaction as
-- every insert, status change, regroup and delete: top failures sum a few rows, never the entries.
-- `queue` is '' for entries without one.
--
-- Writers of an older version may be running while this migrates (a rolling upgrade): the table
-- is locked against writes first, so that no entry is committed between the backfill below and
-- the triggers that count from then on (it would be counted by neither). Readers go on.
LOCK TABLE :SCHEMA.dead_letters IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE :SCHEMA.dead_letter_groups (
  fingerprint  text   NOT NULL,
  status       text   NOT NULL,
  domain       text   NOT NULL,
  queue        text   NOT NULL,
  failure_type text   NOT NULL,
  n            bigint NOT NULL,
  PRIMARY KEY (fingerprint, status, domain, queue, failure_type)
);
INSERT INTO :SCHEMA.dead_letter_groups (fingerprint, status, domain, queue, failure_type, n)
  SELECT fingerprint, status, domain, coalesce(queue, ''), failure_type, count(*)
    FROM :SCHEMA.dead_letters GROUP BY 1, 2, 3, 4, 5;

CREATE TABLE :SCHEMA.dead_letter_fingerprints (
  fingerprint text   PRIMARY KEY,
  first_seen  bigint NOT NULL,
  last_seen   bigint NOT NULL,
  sample_id   text   NOT NULL
);
INSERT INTO :SCHEMA.dead_letter_fingerprints (fingerprint, first_seen, last_seen, sample_id)
  SELECT DISTINCT ON (fingerprint) fingerprint,
         min(dead_lettered_at) OVER (PARTITION BY fingerprint), dead_lettered_at, id
    FROM :SCHEMA.dead_letters ORDER BY fingerprint, dead_lettered_at DESC, id;

CREATE FUNCTION :SCHEMA.sight_fingerprints(rows_json jsonb) RETURNS void LANGUAGE sql SET search_path FROM CURRENT AS $$
  INSERT INTO dead_letter_fingerprints AS f (fingerprint, first_seen, last_seen, sample_id)
    SELECT DISTINCT ON (r.fingerprint) r.fingerprint, min(r.at) OVER (PARTITION BY r.fingerprint), r.at, r.id
      FROM jsonb_to_recordset(rows_json) AS r(fingerprint text, at bigint, id text)
     ORDER BY r.fingerprint, r.at DESC, r.id
    ON CONFLICT (fingerprint) DO UPDATE SET
      first_seen = least(f.first_seen, excluded.first_seen),
      sample_id = CASE WHEN excluded.last_seen >= f.last_seen THEN excluded.sample_id ELSE f.sample_id END,
      last_seen = greatest(f.last_seen, excluded.last_seen);
$$;

CREATE FUNCTION :SCHEMA.count_dead_letter_groups() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO dead_letter_groups AS g (fingerprint, status, domain, queue, failure_type, n)
      SELECT fingerprint, status, domain, coalesce(queue, ''), failure_type, count(*) FROM new_rows
       GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
      ON CONFLICT (fingerprint, status, domain, queue, failure_type) DO UPDATE SET n = g.n + excluded.n;
    PERFORM sight_fingerprints(
      (SELECT coalesce(jsonb_agg(jsonb_build_object('fingerprint', fingerprint, 'at', dead_lettered_at, 'id', id)), '[]')
         FROM new_rows));
  ELSIF TG_OP = 'DELETE' THEN
    -- An upsert in key order, like the other branches (not an UPDATE ... FROM, whose join order is
    -- the planner's): concurrent statements lock the cells they share in the same order, so they
    -- wait for each other instead of deadlocking.
    INSERT INTO dead_letter_groups AS g (fingerprint, status, domain, queue, failure_type, n)
      SELECT fingerprint, status, domain, coalesce(queue, ''), failure_type, -count(*) FROM old_rows
       GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
      ON CONFLICT (fingerprint, status, domain, queue, failure_type) DO UPDATE SET n = g.n + excluded.n;
  ELSE
    INSERT INTO dead_letter_groups AS g (fingerprint, status, domain, queue, failure_type, n)
      SELECT fingerprint, status, domain, queue, failure_type, sum(delta) FROM (
        SELECT fingerprint, status, domain, coalesce(queue, '') AS queue, failure_type, -1 AS delta FROM old_rows
        UNION ALL
        SELECT fingerprint, status, domain, coalesce(queue, ''), failure_type, 1 FROM new_rows) d
      GROUP BY 1, 2, 3, 4, 5 HAVING sum(delta) <> 0 ORDER BY 1, 2, 3, 4, 5
      ON CONFLICT (fingerprint, status, domain, queue, failure_type) DO UPDATE SET n = g.n + excluded.n;
    -- A regroup moves entries to fingerprints that may be new.
    PERFORM sight_fingerprints(
      (SELECT coalesce(jsonb_agg(jsonb_build_object('fingerprint', n.fingerprint, 'at', n.dead_lettered_at, 'id', n.id)), '[]')
         FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.fingerprint <> o.fingerprint));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER dead_letter_groups_inserted AFTER INSERT ON :SCHEMA.dead_letters REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION :SCHEMA.count_dead_letter_groups();
CREATE TRIGGER dead_letter_groups_updated AFTER UPDATE ON :SCHEMA.dead_letters
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION :SCHEMA.count_dead_letter_groups();
CREATE TRIGGER dead_letter_groups_deleted AFTER DELETE ON :SCHEMA.dead_letters REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION :SCHEMA.count_dead_letter_groups();
