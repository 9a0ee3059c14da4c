-- Each team's quota of deployments waiting in the queue (issue 13): past it, a request through
-- the API or the dashboard is refused with a 429, and one from GitHub is recorded as cancelled
-- with the reason, so one team's burst cannot push every other team's builds back. Kept with the
-- team, not in a node's configuration: every node enforces the same number against the one queue.
ALTER TABLE teams
    ADD COLUMN pending_quota integer NOT NULL DEFAULT 50 CHECK (pending_quota BETWEEN 1 AND 100000);
