-- New requests no longer NOTIFY from the insert trigger. PostgreSQL serialises the commits of
-- all transactions that notify (the notification queue lock is held until the commit is
-- flushed), so a NOTIFY inside every request transaction made concurrent webhooks commit one
-- at a time. The service now sends one coalesced NOTIFY after requests commit (see
-- RequestFollowUp). Updates still notify: a requeued row or a freed build slot, and cancel
-- requests; they happen at build pace, not request pace.
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
    RETURN NULL;
END;
$$;

DROP TRIGGER deployments_notify ON deployments;
CREATE TRIGGER deployments_notify
    AFTER UPDATE OF status, cancel_requested_at ON deployments
    FOR EACH ROW EXECUTE FUNCTION deployments_notify();
