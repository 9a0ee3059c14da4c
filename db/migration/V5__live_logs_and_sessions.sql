-- Live logs and the dashboard: every instance hears about new log chunks and status changes
-- (LISTEN/NOTIFY, so a viewer on an instance that is not running the build still sees it),
-- dashboard sessions and one-time sign-in links.

-- A stored chunk tells every instance how far the log now reaches: "<deployment id>:<lines>".
CREATE FUNCTION deployment_log_chunks_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('rhone_log', NEW.deployment_id || ':' || (NEW.first_line + NEW.line_count));
    RETURN NULL;
END;
$$;

CREATE TRIGGER deployment_log_chunks_notify
    AFTER INSERT ON deployment_log_chunks
    FOR EACH ROW EXECUTE FUNCTION deployment_log_chunks_notify();

-- Status changes also reach the live pages. Requests still do not notify on insert (see V4):
-- a new deployment is shown by the page that asked for it, or on the next page load.
CREATE OR REPLACE FUNCTION deployments_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.status = 'pending' AND OLD.status IS DISTINCT FROM 'pending')
       OR (OLD.status IN ('cloning', 'analyzing', 'building', 'pushing')
           AND NEW.status NOT IN ('cloning', 'analyzing', 'building', 'pushing')) THEN
        PERFORM pg_notify('rhone_queue', '');
    END IF;
    IF NEW.cancel_requested_at IS NOT NULL AND OLD.cancel_requested_at IS NULL THEN
        PERFORM pg_notify('rhone_cancel', NEW.id::text);
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        PERFORM pg_notify('rhone_deployment', NEW.id::text);
    END IF;
    RETURN NULL;
END;
$$;

-- Only the SHA-256 of a session id or a sign-in token is stored.
CREATE TABLE web_sessions (
    id_sha256    bytea       PRIMARY KEY CHECK (length(id_sha256) = 32),
    user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);

CREATE TABLE login_links (
    token_sha256 bytea       PRIMARY KEY CHECK (length(token_sha256) = 32),
    user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz
);

-- Logs written before this version could hold line breaks inside a stored line (a multi-line
-- error message); now every stored line is one line, which the live stream relies on (one SSE
-- data field per line, line numbers from line_count). Every stored line starts with its
-- timestamp, so a break not followed by one was inside a line: it becomes a space.
UPDATE deployment_log_chunks
   SET content = regexp_replace(regexp_replace(content, E'\r\n?', E'\n', 'g'),
                                E'\n(?!\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d)', ' ', 'g')
 WHERE content ~ E'[\r\n]';

-- Readers resume a log at a line number ("after line N"), not at a chunk number.
CREATE INDEX deployment_log_chunks_lines ON deployment_log_chunks (deployment_id, first_line);
