-- Heartbeats (extend every lease of a worker) and releases run in functions planned generically,
-- as complete_and_claim is (see 0006): as prepared statements of their own, a connection's first
-- five executions were planned for the call's values, and with statistics taken while no job was
-- active the planner expected ~1 active row and hashed a scan of every "active" job (the lease
-- index, dead entries included, or the whole table) instead of looking the batch up by primary
-- key. A migration that recreates these functions must carry the setting over
-- (test/store/postgres-query-plans.test.ts checks it).

-- Extends the leases of a batch (fenced by token) to p_expires; returns the (id, token) pairs changed.
CREATE FUNCTION :SCHEMA.extend_leases(p_ids bigint[], p_tokens text[], p_expires bigint)
RETURNS TABLE (id bigint, token text)
LANGUAGE plpgsql SET search_path FROM CURRENT SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
    UPDATE jobs j SET lease_expires_at = p_expires
      FROM unnest(p_ids, p_tokens) AS c(id, token)
     WHERE j.id = c.id AND j.claim_token = c.token AND j.state = 'active'
    RETURNING j.id, c.token;
END
$$;

-- Puts a batch of active jobs (fenced by token) back to waiting, due no later than p_now; returns
-- the (id, token) pairs changed.
CREATE FUNCTION :SCHEMA.release_jobs(p_ids bigint[], p_tokens text[], p_now bigint)
RETURNS TABLE (id bigint, token text)
LANGUAGE plpgsql SET search_path FROM CURRENT SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
    UPDATE jobs j SET state = 'waiting', lease_expires_at = NULL, worker_id = NULL, claim_token = NULL,
           run_at = LEAST(j.run_at, p_now)
      FROM unnest(p_ids, p_tokens) AS c(id, token)
     WHERE j.id = c.id AND j.claim_token = c.token AND j.state = 'active'
    RETURNING j.id, c.token;
END
$$;
