-- The leader-election statements of the PostgreSQL store (see leader-store.ts for the contract).
-- Each is one statement: the row lock of the upsert or update serializes concurrent candidates.

-- name: acquire
-- $1 candidate, $2 now, $3 expiry. The holder renews (same epoch, expiry never earlier); anyone
-- else takes an expired lease (epoch + 1). SET expressions read the row as it was before.
INSERT INTO :SCHEMA.leader AS l (id, holder, epoch, acquired_at, expires_at)
VALUES (1, $1, 1, $2, $3)
ON CONFLICT (id) DO UPDATE SET
  epoch = CASE WHEN l.holder = $1 AND l.expires_at > $2 THEN l.epoch ELSE l.epoch + 1 END,
  acquired_at = CASE WHEN l.holder = $1 AND l.expires_at > $2 THEN l.acquired_at ELSE $2 END,
  expires_at = CASE WHEN l.holder = $1 AND l.expires_at > $2 THEN GREATEST(l.expires_at, $3) ELSE $3 END,
  holder = $1
WHERE l.holder = $1 OR l.expires_at <= $2
RETURNING holder, epoch, acquired_at, expires_at, service_runs

-- name: renew
-- $1 candidate, $2 epoch, $3 now, $4 expiry, $5 service runs JSON (NULL: keep).
UPDATE :SCHEMA.leader
   SET expires_at = GREATEST(expires_at, $4), service_runs = COALESCE($5, service_runs)
 WHERE id = 1 AND holder = $1 AND epoch = $2 AND expires_at > $3
RETURNING holder, epoch, acquired_at, expires_at, service_runs

-- name: resign
UPDATE :SCHEMA.leader SET expires_at = 0 WHERE id = 1 AND holder = $1 AND epoch = $2 AND expires_at > 0
RETURNING epoch

-- name: current
SELECT holder, epoch, acquired_at, expires_at, service_runs FROM :SCHEMA.leader WHERE id = 1
