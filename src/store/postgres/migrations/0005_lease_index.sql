-- The lease index answers only queries about lease expiry (recovery: `state = 'active' AND
-- lease_expires_at < $now`), never the fenced writes by id. Those say only `state = 'active'`,
-- which matched the old predicate: right after an ANALYZE that saw no active job the planner took
-- the index for (nearly) empty and scanned all of it, dead entries of every job that was ever
-- active included, for each completion batch, instead of looking the batch up by primary key; a
-- drain slowed down as it went. An active job always has a lease (the claim sets it, every way out
-- of `active` clears it), so the extra condition leaves the index's rows as they were.
DROP INDEX :SCHEMA.jobs_lease;
CREATE INDEX jobs_lease ON :SCHEMA.jobs (lease_expires_at) WHERE state = 'active' AND lease_expires_at IS NOT NULL;
