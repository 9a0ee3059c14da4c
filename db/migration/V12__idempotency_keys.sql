-- Idempotent deployment requests (issue 14): POST /api/apps/{slug}/deployments with an
-- Idempotency-Key header records the key with the deployment it created, in the same transaction.
-- A retry with the same key (same team, same app) finds it and answers with that deployment,
-- creating nothing; the same key with another request is refused. A key is one team's: the
-- primary key scopes it by team and app, so another team's identical key is another row and
-- never finds this one's deployment. The hash of the request (its parameters, SHA-256) tells a
-- retry from a new request under a reused key. Keys count for 24 hours; older ones are ignored
-- and purged (IdempotencyKeyPurge), and may be used again.
CREATE TABLE idempotency_keys (
    team_id          bigint      NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    app_id           bigint      NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    idempotency_key  text        NOT NULL CHECK (idempotency_key ~ '^[ -~]{1,255}$'),
    request_sha256   bytea       NOT NULL CHECK (length(request_sha256) = 32),
    deployment_id    bigint      NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, app_id, idempotency_key)
);

-- The purge deletes by age.
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
-- Deleting a deployment (delete-app) finds its key.
CREATE INDEX idempotency_keys_deployment ON idempotency_keys (deployment_id);
