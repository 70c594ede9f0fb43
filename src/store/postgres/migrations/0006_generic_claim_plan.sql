-- complete_and_claim plans its statements once per connection, generically, instead of for each
-- call's values during a connection's first five calls. With the values known, and statistics
-- taken while no job was active (right after a queue was filled and analyzed), the planner
-- expects ~1 active row and, given a 1,000-id batch, scans the whole table for "the" active row
-- instead of looking the batch up by primary key: seconds of server time per connection before it
-- settles on the generic plan, which is the plan it keeps anyway. A migration that recreates the
-- function must carry this setting over (test/store/postgres-query-plans.test.ts checks it).
ALTER FUNCTION :SCHEMA.complete_and_claim(bigint[], text[], text[], bigint, text, text, integer, bigint, text, bigint, bigint, boolean)
  SET plan_cache_mode = force_generic_plan;
