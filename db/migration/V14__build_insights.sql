-- Build insights (issue 15): where a build's time went. Both tables belong to one deployment and
-- one claim of it (attempt): a retried claim starts a new BuildKit run whose vertex numbers start
-- again at 1, so each attempt keeps its own rows and readers show the latest attempt's. Written
-- by the building node as the build goes, off its critical path (a step that cannot be stored is
-- lost, never the build), deleted with the log (LogRetention) or with the deployment.

-- Rhone's own phases: queued (request to claim), clone, analysis, build, push. ended_at is null
-- while the phase runs.
CREATE TABLE deployment_phases (
    deployment_id bigint      NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    attempt       int         NOT NULL,
    phase         text        NOT NULL CHECK (phase IN ('queued', 'clone', 'analysis', 'build', 'push')),
    started_at    timestamptz NOT NULL,
    ended_at      timestamptz,
    PRIMARY KEY (deployment_id, attempt, phase)
);

-- BuildKit's steps (vertices), as its progress output shows them. Upserted whenever a step changes;
-- change_seq says in which order the changes were written, so a live stream resumes after the
-- last change it sent (the deployment's log stream carries them as `step` events).
CREATE SEQUENCE build_step_changes;

CREATE TABLE build_steps (
    deployment_id bigint      NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    attempt       int         NOT NULL,
    vertex        int         NOT NULL,
    name          text        NOT NULL,
    stage         text        NOT NULL DEFAULT '',
    internal      boolean     NOT NULL DEFAULT false,
    status        text        NOT NULL CHECK (status IN ('running', 'done', 'cached', 'error', 'canceled')),
    started_at    timestamptz NOT NULL,
    ended_at      timestamptz,
    duration_ms   bigint,
    exit_code     int,
    error         text,
    -- The step's last output lines (masked, at most 10), joined by newlines; and how many it printed.
    last_lines    text        NOT NULL DEFAULT '',
    line_count    bigint      NOT NULL DEFAULT 0,
    change_seq    bigint      NOT NULL DEFAULT nextval('build_step_changes'),
    PRIMARY KEY (deployment_id, attempt, vertex)
);

CREATE INDEX build_steps_changes ON build_steps (deployment_id, change_seq);

-- Live viewers on every node hear of step changes on the log's channel; the payload says which
-- deployment and that it is a step change ('<id>:s<change_seq>'), unlike a chunk's '<id>:<lines>'.
CREATE FUNCTION build_steps_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('rhone_log', NEW.deployment_id || ':s' || NEW.change_seq);
    RETURN NULL;
END $$;

CREATE TRIGGER build_steps_notify
    AFTER INSERT OR UPDATE ON build_steps
    FOR EACH ROW EXECUTE FUNCTION build_steps_notify();

-- Step rows are deleted too: when a claim reuses an attempt number (the node before it stopped
-- gracefully and handed the build back) and when the build runs BuildKit a second time (its
-- vertices are numbered from #1 again). A page that shows them must learn they are gone, also one
-- that reconnects later: each such delete records a reset point, a change_seq taken from the same
-- sequence (every step change after it is numbered higher), and notifies '<id>:r<change_seq>'. A
-- stream whose cursor is before a deployment's reset point tells its page to read the steps again.
-- Not for a deployment being deleted (its rows go by cascade, and so does the deployment), nor
-- for one whose build has finished (log retention deleting its steps: nobody needs a reset then).
CREATE TABLE build_step_resets (
    deployment_id bigint PRIMARY KEY REFERENCES deployments (id) ON DELETE CASCADE,
    change_seq    bigint NOT NULL
);

CREATE FUNCTION build_steps_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d bigint;
    seq bigint;
BEGIN
    FOR d IN SELECT DISTINCT g.deployment_id FROM gone g
              WHERE EXISTS (SELECT 1 FROM deployments x
                             WHERE x.id = g.deployment_id AND x.build_finished_at IS NULL) LOOP
        seq := nextval('build_step_changes');
        INSERT INTO build_step_resets (deployment_id, change_seq) VALUES (d, seq)
            ON CONFLICT (deployment_id)
            DO UPDATE SET change_seq = greatest(build_step_resets.change_seq, excluded.change_seq);
        PERFORM pg_notify('rhone_log', d || ':r' || seq);
    END LOOP;
    RETURN NULL;
END $$;

CREATE TRIGGER build_steps_deleted
    AFTER DELETE ON build_steps REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION build_steps_deleted();

-- Phase changes (start, end, or deleted with their attempt) notify '<id>:p', so each node reads
-- the deployment's phases once per change for all its viewers. PostgreSQL sends one notification
-- per transaction for identical payloads, so a batch of phases is one read.
CREATE FUNCTION deployment_phases_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM deployments x
                                     WHERE x.id = OLD.deployment_id AND x.build_finished_at IS NOT NULL) THEN
        RETURN NULL; -- log retention: no page is following this deployment's phases
    END IF;
    PERFORM pg_notify('rhone_log',
        (CASE WHEN TG_OP = 'DELETE' THEN OLD.deployment_id ELSE NEW.deployment_id END) || ':p');
    RETURN NULL;
END $$;

CREATE TRIGGER deployment_phases_notify
    AFTER INSERT OR UPDATE OR DELETE ON deployment_phases
    FOR EACH ROW EXECUTE FUNCTION deployment_phases_notify();
