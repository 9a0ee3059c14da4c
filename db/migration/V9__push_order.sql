-- Push order (issue 13): a push records the commit its branch was at before it (the webhook's
-- `before`; null when the push created the branch, and for requests that are not pushes). The
-- before -> after pairs of a branch's pushes (or of a pull request's synchronize events) are the
-- branch's history as rhone saw it: a replayed or late push is recognised by it and refused, and
-- pending builds give way in commit order rather than in order of arrival.
ALTER TABLE deployments ADD COLUMN before_sha text CHECK (before_sha ~ '^[0-9a-f]{40}$');

-- Has the branch been at this commit before, and did a push move it on from there? Asked by every
-- push delivery (see PushOrder), so both sides are indexed.
CREATE INDEX deployments_branch_push_commits ON deployments (app_id, branch, commit_sha)
    WHERE trigger = 'push';
CREATE INDEX deployments_branch_push_parents ON deployments (app_id, branch, before_sha)
    WHERE trigger = 'push' AND before_sha IS NOT NULL;
-- The same questions for a pull request, whose builds are few: its rows by number.
CREATE INDEX deployments_pull_request_history ON deployments (app_id, pull_request_number)
    WHERE trigger = 'pull_request';
