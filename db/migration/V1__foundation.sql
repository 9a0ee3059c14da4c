-- Rhone builder: teams, users, API tokens, apps, encrypted env vars and deployments.
-- The deployments table is also the durable build queue (see DESIGN.md).

CREATE TABLE teams (
    id          bigserial PRIMARY KEY,
    slug        text        NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id          bigserial PRIMARY KEY,
    login       text        NOT NULL UNIQUE,
    name        text,
    github_id   bigint      UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE team_members (
    team_id     bigint      NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id     bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        text        NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'admin')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, user_id)
);

-- Tokens are 256-bit random strings; only their SHA-256 is stored.
CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    team_id      bigint      NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    token_sha256 bytea       NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
    name         text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

CREATE TABLE apps (
    id                    bigserial PRIMARY KEY,
    team_id               bigint      NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    slug                  text        NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    github_repo           text        CHECK (github_repo ~ '^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$'),
    installation_id       bigint      CHECK (installation_id > 0),
    git_url               text,
    branch                text        NOT NULL,
    build_timeout_seconds integer     NOT NULL DEFAULT 1800 CHECK (build_timeout_seconds BETWEEN 1 AND 86400),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    -- An app builds either a GitHub repository through an App installation, or a plain git URL.
    CONSTRAINT apps_one_source CHECK (
        (github_repo IS NOT NULL AND installation_id IS NOT NULL AND git_url IS NULL)
     OR (github_repo IS NULL AND installation_id IS NULL AND git_url IS NOT NULL))
);
CREATE INDEX apps_team ON apps (team_id, slug);

-- value_encrypted = 12-byte nonce || AES-256-GCM ciphertext and tag; the app id and the
-- name are bound into the tag as associated data, so a value cannot be moved to another row.
CREATE TABLE app_env_vars (
    app_id          bigint      NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    name            text        NOT NULL CHECK (name ~ '^[A-Za-z_][A-Za-z0-9_]{0,254}$'),
    value_encrypted bytea       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, name)
);

CREATE TABLE deployments (
    id                  bigserial PRIMARY KEY,
    app_id              bigint      NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    status              text        NOT NULL DEFAULT 'pending' CHECK (status IN (
                            'pending', 'cloning', 'analyzing', 'building', 'pushing',
                            'built', 'build_failed', 'cancelled',
                            'deploying', 'live', 'deploy_failed')),
    trigger             text        NOT NULL CHECK (trigger IN (
                            'push', 'pull_request', 'manual', 'retry', 'rerequested')),
    branch              text        NOT NULL,
    commit_sha          text        CHECK (commit_sha ~ '^[0-9a-f]{40}$'),
    commit_message      text,
    commit_author       text,
    pull_request_number integer,
    retry_of            bigint      REFERENCES deployments (id) ON DELETE SET NULL,
    image_tag           text,
    image_digest        text,
    error_message       text,
    attempt             integer     NOT NULL DEFAULT 0,
    lease_owner         text,
    lease_expires_at    timestamptz,
    cancel_requested_at timestamptz,
    superseded_by       bigint      REFERENCES deployments (id) ON DELETE SET NULL,
    check_run_id        bigint,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    build_started_at    timestamptz,
    build_finished_at   timestamptz,
    build_duration_ms   bigint
);

-- The queue: oldest pending first.
CREATE INDEX deployments_pending ON deployments (created_at, id) WHERE status = 'pending';
-- The dashboard and API list an app's deployments newest first.
CREATE INDEX deployments_app ON deployments (app_id, id DESC);
-- Supersede looks up an app's pending deployments of one branch.
CREATE INDEX deployments_app_branch_pending ON deployments (app_id, branch) WHERE status = 'pending';
-- The lease reaper scans running rows.
CREATE INDEX deployments_leases ON deployments (lease_expires_at)
    WHERE status IN ('cloning', 'analyzing', 'building', 'pushing');
-- Never two builds of one app at once, whatever several nodes race to claim: the database
-- itself refuses a second running row for an app.
CREATE UNIQUE INDEX deployments_one_active_build_per_app ON deployments (app_id)
    WHERE status IN ('cloning', 'analyzing', 'building', 'pushing');

-- Wake idle workers on every node: a row became claimable (new, requeued) or an app's
-- build slot was freed. Running builds learn about cancel requests on their own channel.
CREATE FUNCTION deployments_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'pending'
       OR (TG_OP = 'UPDATE' AND OLD.status IN ('cloning', 'analyzing', 'building', 'pushing')
           AND NEW.status NOT IN ('cloning', 'analyzing', 'building', 'pushing')) THEN
        PERFORM pg_notify('rhone_queue', '');
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.cancel_requested_at IS NOT NULL AND OLD.cancel_requested_at IS NULL THEN
        PERFORM pg_notify('rhone_cancel', NEW.id::text);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER deployments_notify
    AFTER INSERT OR UPDATE OF status, cancel_requested_at ON deployments
    FOR EACH ROW EXECUTE FUNCTION deployments_notify();
