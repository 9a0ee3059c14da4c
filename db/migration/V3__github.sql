-- GitHub App state: its installations (kept current by installation webhooks) and every
-- webhook delivery, recorded with what rhone did about it.

CREATE TABLE github_installations (
    id                   bigint      PRIMARY KEY,   -- GitHub's installation id
    account_login        text        NOT NULL,
    suspended_at         timestamptz,
    deleted_at           timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE github_installation_repositories (
    installation_id bigint NOT NULL REFERENCES github_installations (id) ON DELETE CASCADE,
    full_name       text   NOT NULL,
    PRIMARY KEY (installation_id, full_name)
);

-- The delivery id is the de-duplication key: a redelivery finds its row and creates nothing.
CREATE TABLE webhook_deliveries (
    delivery_id     text        PRIMARY KEY,
    event           text        NOT NULL,
    action          text,
    installation_id bigint,
    repository      text,
    outcome         text        NOT NULL,
    deployment_ids  bigint[]    NOT NULL DEFAULT '{}',
    received_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at DESC);

-- Webhooks find apps by repository, case-insensitively as GitHub names them.
CREATE INDEX apps_github_repo ON apps (lower(github_repo)) WHERE github_repo IS NOT NULL;

-- The deployment status last shown on its Check Run: the reporter updates GitHub only when the
-- status moved on, and finds runs to catch up (after a GitHub outage or a restart) by comparing.
ALTER TABLE deployments ADD COLUMN check_run_status text;
CREATE INDEX deployments_check_run_behind ON deployments (id)
    WHERE commit_sha IS NOT NULL AND check_run_status IS DISTINCT FROM status;
