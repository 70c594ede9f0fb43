-- complete_and_claim runs without JIT compilation. With a large backlog the claim's generic plan
-- (0006) is costed for a tenth of the waiting rows, above jit_above_cost, so every call compiled
-- its expressions anew: ~20 ms per 500-job claim with 1M jobs waiting (the claim itself takes a
-- few ms), which made a drain ahead of 1M waiting jobs about half as fast as ahead of 10k. A
-- migration that recreates the function must carry this setting over with those of 0006 and 0011.
ALTER FUNCTION :SCHEMA.complete_and_claim(bigint[], text[], text[], bigint, text, text, integer, bigint, text, bigint, bigint, boolean)
  SET jit = off;
