-- Leader election: one row holds the lease of the process that runs the store's maintenance, with
-- a fencing epoch raised at every change of holder (never lowered, so the row is never deleted; a
-- resignation sets expires_at to 0).
CREATE TABLE :SCHEMA.leader (
  id           smallint PRIMARY KEY CHECK (id = 1),
  holder       text   NOT NULL,
  epoch        bigint NOT NULL,
  acquired_at  bigint NOT NULL,
  expires_at   bigint NOT NULL,
  service_runs text   NOT NULL DEFAULT '{}'
);
