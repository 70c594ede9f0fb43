-- complete_and_claim joins the batch it locked back to the table by primary key, never by a merge
-- or hash join. Its generic plan (0006) cannot know the claim's LIMIT and counts on a tenth of the
-- waiting rows; for that many it merge-joined the batch with a scan of the primary key from the
-- table's first row up to the batch: every claim read every job ever claimed before it (51,000
-- rows and 64,000 buffers per 500-job claim halfway through a 100,000-job queue), so a drain
-- slowed down as it went. A migration that recreates the function must carry these settings over
-- (test/store/postgres-query-plans.test.ts checks them).
ALTER FUNCTION :SCHEMA.complete_and_claim(bigint[], text[], text[], bigint, text, text, integer, bigint, text, bigint, bigint, boolean)
  SET enable_mergejoin = off SET enable_hashjoin = off;
