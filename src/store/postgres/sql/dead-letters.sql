-- The dead-letter statements of the PostgreSQL store, one named section each.

-- name: insertRecords
-- $1: a JSON array of records (rows.ts deadLetterRecord); a record whose id or job exists is skipped.
INSERT INTO :SCHEMA.dead_letters (DEAD_LETTER_INSERT_COLUMNS)
SELECT DEAD_LETTER_INSERT_VALUES
  FROM jsonb_array_elements($1::jsonb) AS r
       LEFT JOIN :SCHEMA.dead_letters p ON $2 AND p.id = r ->> 'replay_of'
ON CONFLICT DO NOTHING
RETURNING id

-- name: get
SELECT * FROM :SCHEMA.dead_letters WHERE id = $1

-- name: getForUpdate
SELECT * FROM :SCHEMA.dead_letters WHERE id = $1 FOR UPDATE

-- name: getByJob
SELECT * FROM :SCHEMA.dead_letters WHERE job_id = $1

-- name: byIdsForUpdate
SELECT * FROM :SCHEMA.dead_letters WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE

-- name: acquire
UPDATE :SCHEMA.dead_letters
   SET status = 'replaying', generation = generation + 1, replay_count = replay_count + 1,
       max_replays = $3, replay_started_at = $2, updated_at = $2
 WHERE id = $1
RETURNING *

-- name: finish
UPDATE :SCHEMA.dead_letters
   SET status = $3, generation = generation + 1, last_replay_at = $2, updated_at = $2,
       last_replay_error = $4, replay_job_id = COALESCE($5, replay_job_id),
       resolved_at = CASE WHEN $3 = 'resolved' THEN $2 ELSE resolved_at END,
       resolved_by = CASE WHEN $3 = 'resolved' THEN $6 ELSE resolved_by END,
       resolution_note = CASE WHEN $3 = 'resolved' THEN $7 ELSE resolution_note END
 WHERE id = $1
RETURNING *

-- name: resolve
UPDATE :SCHEMA.dead_letters
   SET status = 'resolved', generation = generation + 1, resolved_at = $2, resolved_by = $3,
       resolution_note = $4, updated_at = $2
 WHERE id = ANY($1::text[])

-- name: expire
UPDATE :SCHEMA.dead_letters SET status = 'expired', generation = generation + 1, updated_at = $1
 WHERE seq IN (SELECT seq FROM :SCHEMA.dead_letters
                WHERE status IN ('pending', 'requires_review') AND expires_at <= $1
                  AND ($3::text[] IS NULL OR id = ANY($3::text[]))
                LIMIT $2 FOR UPDATE SKIP LOCKED)
RETURNING id

-- name: archive
UPDATE :SCHEMA.dead_letters
   SET status = 'archived', generation = generation + 1, archived_at = $1, updated_at = $1
 WHERE seq IN (SELECT seq FROM :SCHEMA.dead_letters
                WHERE status IN ('resolved', 'expired') AND updated_at < $2
                  AND ($4::text[] IS NULL OR id = ANY($4::text[]))
                LIMIT $3 FOR UPDATE SKIP LOCKED)
RETURNING id

-- name: releaseStuck
UPDATE :SCHEMA.dead_letters
   SET status = CASE WHEN replay_count >= max_replays THEN 'requires_review' ELSE 'pending' END,
       generation = generation + 1, updated_at = $1, last_replay_at = $1,
       last_replay_error = 'the replay was interrupted (the replaying process stopped before finishing)'
 WHERE seq IN (SELECT seq FROM :SCHEMA.dead_letters
                WHERE status = 'replaying' AND replay_started_at < $2 LIMIT $3 FOR UPDATE SKIP LOCKED)
RETURNING id

-- name: purge
-- Deletes archived entries and adds them to the purged tally, in one statement.
WITH gone AS (
  DELETE FROM :SCHEMA.dead_letters
   WHERE seq IN (SELECT seq FROM :SCHEMA.dead_letters
                  WHERE status = 'archived' AND updated_at < COALESCE($1, 9007199254740991)
                    AND ($2::text[] IS NULL OR id = ANY($2::text[]))
                  LIMIT $3 FOR UPDATE SKIP LOCKED)
  RETURNING id
), tallied AS (
  INSERT INTO :SCHEMA.tally AS t (name, value)
  SELECT 'purged', count(*) FROM gone HAVING count(*) > 0
  ON CONFLICT (name) DO UPDATE SET value = t.value + excluded.value
)
SELECT id FROM gone

-- name: regroup
-- New fingerprints for existing entries; not a state change (generation and updated_at stay).
UPDATE :SCHEMA.dead_letters d SET fingerprint = c.fingerprint, fingerprint_version = c.version
  FROM unnest($1::text[], $2::text[], $3::integer[]) AS c(id, fingerprint, version)
 WHERE d.id = c.id
RETURNING d.id

-- name: insertAudit
-- $1: a JSON array of entries; returns their sequence numbers in input order.
INSERT INTO :SCHEMA.dead_letter_audit (dead_letter_id, action, actor, reason, ticket, at, before_status,
                                       after_status, before_generation, after_generation, details)
SELECT e ->> 'deadLetterId', e ->> 'action', e ->> 'actor', e ->> 'reason', e ->> 'ticket',
       (e ->> 'at')::bigint, e ->> 'beforeStatus', e ->> 'afterStatus', (e ->> 'beforeGeneration')::integer,
       (e ->> 'afterGeneration')::integer, COALESCE(e -> 'details', '{}'::jsonb)
  FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(e, ord)
 ORDER BY ord
RETURNING seq

-- name: wordShares
-- $1: the words of an error-text search; $2: how many of the newest messages to look in. How many
-- of them hold each word (case-insensitively), and how many were looked at (error-text-plan.ts).
SELECT w AS word, count(*) FILTER (WHERE strpos(lower(s.m), lower(w)) > 0)::int AS n, count(*)::int AS sampled
  FROM unnest($1::text[]) AS w
 CROSS JOIN (SELECT error_message AS m FROM :SCHEMA.dead_letters
              ORDER BY dead_lettered_at DESC, seq LIMIT $2) AS s
 GROUP BY w

-- name: counts
SELECT domain, status, n FROM :SCHEMA.dead_letter_counts WHERE n > 0

-- name: stats
SELECT (SELECT min(dead_lettered_at) FROM :SCHEMA.dead_letters WHERE status = 'pending') AS oldest_pending,
       (SELECT count(*) FROM :SCHEMA.dead_letters WHERE status = 'pending' AND replay_count >= max_replays) AS pending_at_cap,
       (SELECT count(*) FROM (SELECT 1 FROM :SCHEMA.dead_letters
         WHERE status IN ('pending', 'requires_review') AND expires_at IS NOT NULL AND expires_at <= $1
         LIMIT $2) AS due) AS due_for_expiry,
       (SELECT value FROM :SCHEMA.tally WHERE name = 'purged') AS purged

-- name: purgeAudit
-- $1 limit, $2 before: of the $1 oldest audit entries (by seq), those recorded before $2.
DELETE FROM :SCHEMA.dead_letter_audit
 WHERE seq IN (SELECT seq FROM (SELECT seq, at FROM :SCHEMA.dead_letter_audit ORDER BY seq LIMIT $1) o
                WHERE at < $2)
RETURNING seq
