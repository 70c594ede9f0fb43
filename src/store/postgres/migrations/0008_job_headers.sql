-- Job headers: string headers (trace context) carried from enqueue to every attempt, as JSON text;
-- NULL for a job without any. The claim function returns them with each claimed job, so it is
-- recreated with one more column (its body is otherwise that of 0002, its settings those of 0006).
ALTER TABLE :SCHEMA.jobs ADD COLUMN headers text;

DROP FUNCTION :SCHEMA.complete_and_claim(bigint[], text[], text[], bigint, text, text, integer, bigint, text, bigint, bigint, boolean);

-- Completes a batch (fenced by token) and claims the next one, in one round trip. Completed jobs
-- come back as rows with done = true (id and the token that matched); claimed jobs with done =
-- false. Due scheduled jobs are promoted first (a separate statement, so the claim sees them);
-- the claim locks with SKIP LOCKED, so concurrent claimers never wait for each other. With
-- p_quarantine and a suspect waiting, the claim is that suspect alone (suspect = true); otherwise
-- a batch of jobs that are not suspects, numbered from p_first_seq in claim order (NULL: no start
-- marks), the worker's start horizon raised to p_horizon.
CREATE FUNCTION :SCHEMA.complete_and_claim(
  p_ids bigint[], p_tokens text[], p_results text[], p_now bigint,
  p_queue text, p_worker text, p_limit integer, p_lease bigint, p_claim text,
  p_first_seq bigint, p_horizon bigint, p_quarantine boolean
) RETURNS TABLE (
  done boolean, id bigint, token text, name text, payload text, priority smallint,
  attempts_made integer, max_attempts integer, orphan_count integer, rate_limit_delays integer,
  run_at bigint, created_at bigint, timeout_ms bigint, backoff text, idempotency_key text,
  attempts jsonb, replay_of text, suspect boolean, headers text
) LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
#variable_conflict use_column
BEGIN
  IF cardinality(p_ids) > 0 THEN
    RETURN QUERY
      UPDATE jobs j SET state = 'completed', finished_at = p_now, lease_expires_at = NULL,
             attempts_made = j.attempts_made + 1, result = c.result
        FROM unnest(p_ids, p_tokens, p_results) AS c(id, token, result)
       WHERE j.id = c.id AND j.claim_token = c.token AND j.state = 'active'
      RETURNING true, j.id, c.token, NULL::text, NULL::text, NULL::smallint, NULL::integer, NULL::integer,
                NULL::integer, NULL::integer, NULL::bigint, NULL::bigint, NULL::bigint, NULL::text,
                NULL::text, NULL::jsonb, NULL::text, NULL::boolean, NULL::text;
  END IF;
  IF p_limit <= 0 OR EXISTS (SELECT 1 FROM queues q WHERE q.name = p_queue AND q.paused) THEN
    RETURN;
  END IF;
  IF EXISTS (SELECT 1 FROM jobs s WHERE s.queue = p_queue AND s.state = 'scheduled' AND s.run_at <= p_now) THEN
    UPDATE jobs j SET state = 'waiting'
     WHERE j.id IN (SELECT s.id FROM jobs s
                     WHERE s.queue = p_queue AND s.state = 'scheduled' AND s.run_at <= p_now
                     ORDER BY s.run_at LIMIT 1000 FOR UPDATE SKIP LOCKED);
  END IF;
  IF p_quarantine THEN
    RETURN QUERY
      WITH c AS (
        SELECT w.id FROM jobs w
         WHERE w.queue = p_queue AND w.state = 'waiting' AND w.suspect
         ORDER BY w.priority DESC, w.run_at, w.id
         LIMIT 1 FOR UPDATE SKIP LOCKED
      )
      UPDATE jobs j SET state = 'active', claim_token = (j.attempts_made + 1) || ':' || p_claim,
             worker_id = p_worker, lease_expires_at = p_now + p_lease, started_at = p_now,
             start_seq = NULL, quarantined = true
        FROM c WHERE j.id = c.id
      RETURNING false, j.id, j.claim_token, j.name, j.payload, j.priority, j.attempts_made, j.max_attempts,
                j.orphan_count, j.rate_limit_delays, j.run_at, j.created_at, j.timeout_ms, j.backoff,
                j.idempotency_key, j.attempts, j.replay_of, true, j.headers;
    IF FOUND THEN
      RETURN;
    END IF;
  END IF;
  RETURN QUERY
    WITH c AS (
      SELECT w.id, w.priority, w.run_at FROM jobs w
       WHERE w.queue = p_queue AND w.state = 'waiting' AND NOT w.suspect
       ORDER BY w.priority DESC, w.run_at, w.id
       LIMIT p_limit FOR UPDATE SKIP LOCKED
    ), o AS (
      SELECT c.id, row_number() OVER (ORDER BY c.priority DESC, c.run_at, c.id) - 1 AS pos FROM c
    )
    UPDATE jobs j SET state = 'active', claim_token = (j.attempts_made + 1) || ':' || p_claim,
           worker_id = p_worker, lease_expires_at = p_now + p_lease, started_at = p_now,
           start_seq = p_first_seq + o.pos, quarantined = false
      FROM o WHERE j.id = o.id
    RETURNING false, j.id, j.claim_token, j.name, j.payload, j.priority, j.attempts_made, j.max_attempts,
              j.orphan_count, j.rate_limit_delays, j.run_at, j.created_at, j.timeout_ms, j.backoff,
              j.idempotency_key, j.attempts, j.replay_of, false, j.headers;
  IF FOUND AND p_first_seq IS NOT NULL THEN
    INSERT INTO workers AS w (worker_id, start_horizon, updated_at) VALUES (p_worker, p_horizon, p_now)
      ON CONFLICT (worker_id) DO UPDATE
        SET start_horizon = GREATEST(w.start_horizon, excluded.start_horizon), updated_at = excluded.updated_at;
  END IF;
END $$;

-- Carried over from 0006: plans made once per connection, generically (see there).
ALTER FUNCTION :SCHEMA.complete_and_claim(bigint[], text[], text[], bigint, text, text, integer, bigint, text, bigint, bigint, boolean)
  SET plan_cache_mode = force_generic_plan;
