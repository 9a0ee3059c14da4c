-- The live dashboard pages and what a build produced.

-- The pushed image's size: its config and layers as stored in the registry (what a pull
-- downloads). Measured after the push, best-effort: NULL when the registry did not say.
ALTER TABLE deployments ADD COLUMN image_size_bytes bigint CHECK (image_size_bytes >= 0);

-- The live pages also hear when a build learns its commit (a manual deploy knows its SHA, message
-- and author only after the clone), not only when its status changes. New requests are announced
-- by the service after they commit (see RequestFollowUp), never from the insert.
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
    IF NEW.status IS DISTINCT FROM OLD.status
       OR (NEW.commit_sha, NEW.commit_message, NEW.commit_author)
          IS DISTINCT FROM (OLD.commit_sha, OLD.commit_message, OLD.commit_author) THEN
        PERFORM pg_notify('rhone_deployment', NEW.id::text);
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER deployments_notify ON deployments;
CREATE TRIGGER deployments_notify
    AFTER UPDATE OF status, cancel_requested_at, commit_sha, commit_message, commit_author ON deployments
    FOR EACH ROW EXECUTE FUNCTION deployments_notify();

-- The live app list reads the deployments that changed in a moment, by team.
CREATE INDEX deployments_updated ON deployments (updated_at);
