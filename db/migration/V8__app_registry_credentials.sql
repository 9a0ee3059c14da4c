-- An app's own registry credentials (issue 12): a build of the app pushes, pulls and reads its
-- cache with these instead of the global RHONE_REGISTRY_USER / FLY_API_TOKEN, so it carries no
-- other app's access. The password is AES-256-GCM encrypted like env vars, bound to the app.
CREATE TABLE app_registry_credentials (
    app_id             bigint      PRIMARY KEY REFERENCES apps (id) ON DELETE CASCADE,
    username           text        NOT NULL CHECK (length(username) BETWEEN 1 AND 255 AND username !~ '[[:cntrl:]]|:'),
    password_encrypted bytea       NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
