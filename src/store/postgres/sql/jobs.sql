-- The job statements of the PostgreSQL store, one named section each. Batch-shaped: every hot path
-- is one statement per batch, taking arrays (unnest) rather than one statement per job.

-- name: insertJobs
-- $1..$10 and $12: one array per column, in input order; $11 now. Unkeyed rows always go in; a
-- keyed row whose (queue, key) exists is skipped (the caller looks the first job up). Queue rows
-- are created here.
WITH new_queues AS (
  INSERT INTO :SCHEMA.queues (name) SELECT DISTINCT unnest($1::text[]) ON CONFLICT DO NOTHING
)
INSERT INTO :SCHEMA.jobs (queue, name, payload, state, priority, max_attempts, run_at, created_at,
                          timeout_ms, backoff, idempotency_key, replay_of, headers)
SELECT queue, name, payload, CASE WHEN run_at > $11 THEN 'scheduled' ELSE 'waiting' END, priority,
       max_attempts, run_at, $11, timeout_ms, backoff, idempotency_key, replay_of, headers
  FROM unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::integer[], $6::bigint[],
              $7::bigint[], $8::text[], $9::text[], $10::text[], $12::text[])
       WITH ORDINALITY AS j(queue, name, payload, priority, max_attempts, run_at, timeout_ms, backoff,
                            idempotency_key, replay_of, headers, ord)
 ORDER BY ord
ON CONFLICT (queue, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
RETURNING id::text, queue, idempotency_key

-- name: insertUniform
-- Jobs that differ only in payload (the usual bulk add): the shared attributes bound once, the
-- payloads as one text ($10) joined by the ASCII record separator, which JSON text never holds
-- unescaped (splitting it is a byte search; parsing the payloads as one JSON array lexed every
-- character). The ids come back as a range when they are consecutive (the usual case: no other
-- session drew ids in between), as one comma-separated text in input order otherwise, instead of
-- a row per job.
WITH new_queues AS (
  INSERT INTO :SCHEMA.queues (name) VALUES ($1) ON CONFLICT DO NOTHING
), inserted AS (
  INSERT INTO :SCHEMA.jobs (queue, name, payload, state, priority, max_attempts, run_at, created_at,
                            timeout_ms, backoff, replay_of, headers)
  SELECT $1, $2, payload, CASE WHEN $5::bigint > $9::bigint THEN 'scheduled' ELSE 'waiting' END, $3,
         $4, $5, $9, $6, $7, $8, $11
    FROM unnest(string_to_array($10::text, E'\x1e')) WITH ORDINALITY AS j(payload, ord)
   ORDER BY ord
  RETURNING id
), span AS (
  SELECT min(id) AS first, max(id) AS last, count(*) AS n FROM inserted
)
SELECT span.first::text AS first, span.n::integer AS n, listed.ids
  FROM span LEFT JOIN LATERAL (
    SELECT string_agg(id::text, ',' ORDER BY id) AS ids FROM inserted WHERE span.last - span.first + 1 <> span.n
  ) listed ON true

-- name: findByKeys
SELECT id::text, queue, idempotency_key FROM :SCHEMA.jobs
 WHERE (queue, idempotency_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))

-- name: completeAndClaim
SELECT * FROM :SCHEMA.complete_and_claim($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)

-- name: raiseHorizon
-- A worker's start horizon, raised (never lowered).
INSERT INTO :SCHEMA.workers AS w (worker_id, start_horizon, updated_at) VALUES ($1, $2, $3)
ON CONFLICT (worker_id) DO UPDATE
  SET start_horizon = GREATEST(w.start_horizon, excluded.start_horizon), updated_at = excluded.updated_at

-- name: forgetHorizons
-- Horizons not raised for a day belong to workers that are gone (no horizon reads as running).
DELETE FROM :SCHEMA.workers WHERE updated_at < $1

-- name: complete
UPDATE :SCHEMA.jobs j SET state = 'completed', finished_at = $4, lease_expires_at = NULL,
       attempts_made = j.attempts_made + 1, result = c.result
  FROM unnest($1::bigint[], $2::text[], $3::text[]) AS c(id, token, result)
 WHERE j.id = c.id AND j.claim_token = c.token AND j.state = 'active'
RETURNING j.id, c.token

-- name: recordResult
-- The result of a job completed in the application's transaction, written once the handler returns.
UPDATE :SCHEMA.jobs SET result = $3 WHERE id = $1 AND claim_token = $2 AND state = 'completed' RETURNING id

-- name: extend
-- A function planned generically (see migration 0009): all of a worker's leases, by primary key.
SELECT id, token FROM :SCHEMA.extend_leases($1, $2, $3)

-- name: progress
-- A running job's progress, fenced by its token like a completion.
UPDATE :SCHEMA.jobs SET progress = $3 WHERE id = $1 AND claim_token = $2 AND state = 'active'
RETURNING id, claim_token AS token

-- name: release
-- A function planned generically (see migration 0009).
SELECT id, token FROM :SCHEMA.release_jobs($1, $2, $3)

-- name: releaseLostClaims
-- Returns to waiting, as release_jobs does, the jobs worker $2 still holds in queue $1 under one of
-- the claims $3 whose replies it lost (a claim's token is `<attempts_made + 1>:<claim id>`). Active
-- jobs are few: found through the lease index.
UPDATE :SCHEMA.jobs j SET state = 'waiting', lease_expires_at = NULL, worker_id = NULL, claim_token = NULL,
       run_at = LEAST(j.run_at, $4)
 WHERE j.state = 'active' AND j.lease_expires_at IS NOT NULL AND j.queue = $1 AND j.worker_id = $2
   AND j.claim_token IN (SELECT (j.attempts_made + 1) || ':' || c FROM unnest($3::text[]) AS c)
RETURNING j.id

-- name: fenceStates
SELECT id, state, claim_token, attempts -> -1 AS last_attempt FROM :SCHEMA.jobs WHERE id = ANY($1::bigint[])

-- name: retry
-- A retry or rate-limit pause, fenced; the outer SELECT reads the row as it was, for the refusal reason.
WITH changed AS (
  UPDATE :SCHEMA.jobs SET state = $3, run_at = $4, attempts_made = attempts_made + $5,
         rate_limit_delays = rate_limit_delays + $6,
         attempts = COALESCE(attempts, '[]'::jsonb) || jsonb_build_array($7::jsonb),
         lease_expires_at = NULL, worker_id = NULL
   WHERE id = $1 AND claim_token = $2 AND state = 'active'
  RETURNING id
)
SELECT EXISTS (SELECT 1 FROM changed) AS applied, j.state, j.claim_token, j.attempts -> -1 AS last_attempt
  FROM (SELECT 1) AS one LEFT JOIN :SCHEMA.jobs j ON j.id = $1

-- name: jobForFailure
SELECT queue, name, payload, state, claim_token, attempts -> -1 AS last_attempt, replay_of
  FROM :SCHEMA.jobs WHERE id = $1

-- name: deadLetterJob
-- Moves an active job (fenced) to dead_lettered and inserts its dead letter ($6: the record as JSON,
-- without attempts; they are the job's, with this attempt appended), carrying the replay ledger of
-- the dead letter the job replays. An entry stored for the job before (imported, recorded by hand)
-- stays its one dead letter: the job links to it and no record is inserted. Returns a row when the
-- job moved, with the id of its dead letter (null, the job linked to none, when the record's id was
-- another job's) and the one the job was linked to (`linked`; see relinkDeadLetters).
WITH kept AS (
  SELECT id FROM :SCHEMA.dead_letters WHERE job_id = $1::text
), changed AS (
  UPDATE :SCHEMA.jobs SET state = 'dead_lettered', finished_at = $3, attempts_made = attempts_made + $4,
         attempts = COALESCE(attempts, '[]'::jsonb) || jsonb_build_array($5::jsonb),
         lease_expires_at = NULL,
         dead_letter_id = COALESCE((SELECT id FROM kept), (SELECT $6::jsonb ->> 'id' WHERE NOT EXISTS
           (SELECT 1 FROM :SCHEMA.dead_letters d WHERE d.id = $6::jsonb ->> 'id')))
   WHERE id = $1 AND claim_token = $2 AND state = 'active'
  RETURNING attempts, dead_letter_id
), inserted AS (
  INSERT INTO :SCHEMA.dead_letters (DEAD_LETTER_INSERT_COLUMNS)
  SELECT DEAD_LETTER_INSERT_VALUES
    FROM changed
         CROSS JOIN LATERAL (SELECT $6::jsonb || jsonb_build_object('attempts', changed.attempts)) AS rec(r)
         LEFT JOIN :SCHEMA.dead_letters p ON p.id = r ->> 'replay_of'
   WHERE NOT EXISTS (SELECT 1 FROM kept)
  ON CONFLICT DO NOTHING
  RETURNING id
)
SELECT COALESCE((SELECT id FROM kept), (SELECT id FROM inserted)) AS dead_letter_id, dead_letter_id AS linked
  FROM changed

-- name: retryMany
-- Retries and rate-limit pauses of a batch, each fenced; returns the ids it changed.
UPDATE :SCHEMA.jobs j SET state = c.state, run_at = c.run_at, attempts_made = j.attempts_made + c.spent,
       rate_limit_delays = j.rate_limit_delays + (1 - c.spent),
       attempts = COALESCE(j.attempts, '[]'::jsonb) || jsonb_build_array(c.attempt),
       lease_expires_at = NULL, worker_id = NULL
  FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::integer[], $6::jsonb[])
       AS c(id, token, state, run_at, spent, attempt)
 WHERE j.id = c.id AND j.claim_token = c.token AND j.state = 'active'
RETURNING j.id::text

-- name: jobsForFailure
SELECT id::text, queue, name, payload, state, claim_token, replay_of FROM :SCHEMA.jobs WHERE id = ANY($1::bigint[])

-- name: deadLetterJobs
-- Moves a batch of active jobs (each fenced) to dead_lettered and inserts their dead letters ($4:
-- each record as JSON, without attempts; they are the job's, with this attempt appended), carrying
-- the replay ledger of the dead letter a job replays. A job with an entry stored before (imported,
-- recorded by hand) keeps it as its one dead letter: it links to it and no record is inserted.
-- Returns one row per job moved, with the id of its dead letter (null, the job linked to none, when
-- the record's id was another job's) and the one the job was linked to (`linked`; see
-- relinkDeadLetters).
WITH input AS (
  SELECT c.*, k.id AS kept_id
    FROM unnest($1::bigint[], $2::text[], $3::jsonb[], $4::jsonb[]) AS c(id, token, attempt, record)
         LEFT JOIN :SCHEMA.dead_letters k ON k.job_id = c.id::text
), changed AS (
  UPDATE :SCHEMA.jobs j SET state = 'dead_lettered', finished_at = $5, attempts_made = j.attempts_made + 1,
         attempts = COALESCE(j.attempts, '[]'::jsonb) || jsonb_build_array(c.attempt),
         lease_expires_at = NULL,
         dead_letter_id = COALESCE(c.kept_id, (SELECT c.record ->> 'id' WHERE NOT EXISTS
           (SELECT 1 FROM :SCHEMA.dead_letters d WHERE d.id = c.record ->> 'id')))
    FROM input c
   WHERE j.id = c.id AND j.claim_token = c.token AND j.state = 'active'
  RETURNING j.id, j.attempts, c.record, c.kept_id, j.dead_letter_id AS linked
), inserted AS (
  INSERT INTO :SCHEMA.dead_letters (DEAD_LETTER_INSERT_COLUMNS)
  SELECT DEAD_LETTER_INSERT_VALUES
    FROM changed
         CROSS JOIN LATERAL (SELECT changed.record || jsonb_build_object('attempts', changed.attempts)) AS rec(r)
         LEFT JOIN :SCHEMA.dead_letters p ON p.id = r ->> 'replay_of'
   WHERE changed.kept_id IS NULL
  ON CONFLICT DO NOTHING
  RETURNING id, job_id
)
SELECT changed.id::text AS job_id, COALESCE(changed.kept_id, inserted.id) AS dead_letter_id, changed.linked
  FROM changed LEFT JOIN inserted ON inserted.job_id = changed.id::text

-- name: relinkDeadLetters
-- Links each job ($1) to the entry stored for it now (null for none) and returns it. For a job
-- whose dead letter was refused though deadLetterJob(s) linked it: that link was chosen from the
-- statement's snapshot, which did not show an entry a concurrent transaction was inserting with
-- the same id (or for the same job); ON CONFLICT waited for that transaction and skipped the
-- record. This statement's snapshot shows that entry.
UPDATE :SCHEMA.jobs j SET dead_letter_id = k.id
  FROM unnest($1::bigint[]) AS c(id)
       LEFT JOIN :SCHEMA.dead_letters k ON k.job_id = c.id::text
 WHERE j.id = c.id
RETURNING j.id::text, j.dead_letter_id

-- name: expiredLeases
SELECT id, queue, name, payload, claim_token, orphan_count, attempts_made, worker_id, started_at, replay_of,
       start_seq, quarantined,
       (SELECT w.start_horizon FROM :SCHEMA.workers w WHERE w.worker_id = jobs.worker_id) AS start_horizon
  FROM :SCHEMA.jobs
 WHERE state = 'active' AND lease_expires_at < $1 AND ($2::text IS NULL OR queue = $2)
 ORDER BY lease_expires_at LIMIT $3
   FOR UPDATE SKIP LOCKED

-- name: orphansToWaiting
-- $4: 1 where the orphaning counts (quarantine); $5: true where the job becomes a suspect.
UPDATE :SCHEMA.jobs j SET state = 'waiting', orphan_count = j.orphan_count + c.counted,
       attempts = COALESCE(j.attempts, '[]'::jsonb) || jsonb_build_array(c.attempt),
       suspect = j.suspect OR c.suspect, quarantined = false,
       lease_expires_at = NULL, worker_id = NULL, claim_token = NULL
  FROM unnest($1::bigint[], $2::text[], $3::jsonb[], $4::integer[], $5::boolean[])
       AS c(id, token, attempt, counted, suspect)
 WHERE j.id = c.id AND j.claim_token = c.token AND j.state = 'active'
RETURNING j.id::text

-- name: orphansToDeadLetter
-- Moves poison pills (each fenced) to dead_lettered. A job with an entry stored before (imported,
-- recorded by hand, kept from an earlier dead-lettering) keeps it as its one dead letter: it links
-- to it here (kept_id); the others are linked by linkPoisonPillDeadLetters to the entry inserted.
WITH input AS (
  SELECT c.*, k.id AS kept_id
    FROM unnest($1::bigint[], $2::text[], $3::jsonb[]) AS c(id, token, attempt)
         LEFT JOIN :SCHEMA.dead_letters k ON k.job_id = c.id::text
)
UPDATE :SCHEMA.jobs j SET state = 'dead_lettered', orphan_count = j.orphan_count + 1,
       attempts = COALESCE(j.attempts, '[]'::jsonb) || jsonb_build_array(c.attempt),
       finished_at = $4, lease_expires_at = NULL, dead_letter_id = c.kept_id
  FROM input c
 WHERE j.id = c.id AND j.claim_token = c.token AND j.state = 'active'
RETURNING j.id::text, j.attempts, c.kept_id

-- name: linkPoisonPillDeadLetters
-- Inserts the dead letters of poison pills moved by orphansToDeadLetter ($1: a JSON array of
-- records, as dead-letters.sql insertRecords, carrying the replay ledger) and links each job to
-- the entry inserted for it: only to one inserted, so a record refused because its id is another
-- job's entry (committed, or inserted by a transaction that commits while this one waits on it)
-- leaves the job unlinked (relinkDeadLetters then says what it keeps). Returns the jobs linked.
WITH inserted AS (
  INSERT INTO :SCHEMA.dead_letters (DEAD_LETTER_INSERT_COLUMNS)
  SELECT DEAD_LETTER_INSERT_VALUES
    FROM jsonb_array_elements($1::jsonb) AS r
         LEFT JOIN :SCHEMA.dead_letters p ON p.id = r ->> 'replay_of'
  ON CONFLICT DO NOTHING
  RETURNING id, job_id
)
UPDATE :SCHEMA.jobs j SET dead_letter_id = inserted.id
  FROM inserted
 WHERE j.id = inserted.job_id::bigint
RETURNING j.id::text, j.dead_letter_id

-- name: nextLeaseExpiry
-- The first row of the lease index (migration 0005), of every queue or of queue $1.
SELECT lease_expires_at AS at FROM :SCHEMA.jobs
 WHERE state = 'active' AND lease_expires_at IS NOT NULL AND ($1::text IS NULL OR queue = $1)
 ORDER BY lease_expires_at LIMIT 1

-- name: nextScheduled
SELECT min(run_at) AS next FROM :SCHEMA.jobs WHERE queue = $1 AND state = 'scheduled'

-- name: getJob
SELECT * FROM :SCHEMA.jobs WHERE id = $1

-- name: countAll
-- Active jobs are counted through the lease index: every active job has a lease (see migration 0005).
SELECT (SELECT count(*) FROM :SCHEMA.jobs WHERE state = 'scheduled') AS scheduled,
       (SELECT count(*) FROM :SCHEMA.jobs WHERE state = 'waiting') AS waiting,
       (SELECT count(*) FROM :SCHEMA.jobs WHERE state = 'active' AND lease_expires_at IS NOT NULL) AS active,
       (SELECT count(*) FROM :SCHEMA.jobs WHERE state = 'completed') AS completed,
       (SELECT count(*) FROM :SCHEMA.jobs WHERE state = 'dead_lettered') AS dead_lettered

-- name: countQueue
SELECT (SELECT count(*) FROM :SCHEMA.jobs WHERE queue = $1 AND state = 'scheduled') AS scheduled,
       (SELECT count(*) FROM :SCHEMA.jobs WHERE queue = $1 AND state = 'waiting') AS waiting,
       (SELECT count(*) FROM :SCHEMA.jobs WHERE queue = $1 AND state = 'active' AND lease_expires_at IS NOT NULL) AS active,
       (SELECT count(*) FROM :SCHEMA.jobs WHERE queue = $1 AND state = 'completed') AS completed,
       (SELECT count(*) FROM :SCHEMA.jobs WHERE queue = $1 AND state = 'dead_lettered') AS dead_lettered

-- name: listQueues
SELECT name, paused FROM :SCHEMA.queues ORDER BY name

-- name: setPaused
INSERT INTO :SCHEMA.queues (name, paused) VALUES ($1, $2)
ON CONFLICT (name) DO UPDATE SET paused = excluded.paused

-- name: isPaused
SELECT paused FROM :SCHEMA.queues WHERE name = $1

-- name: removeById
DELETE FROM :SCHEMA.jobs WHERE id = ANY($1::bigint[]) AND state <> 'active'
