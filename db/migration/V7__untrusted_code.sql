-- Untrusted code (issue 12). Pull requests from forks wait for a person's approval before they
-- are built, and pull-request builds never use the app's production secrets unless it opts in.

-- approve: a fork's pull request waits for a team member or a GitHub user with write access;
-- never: fork pull requests are not built; always: built like the repository's own (private
-- repositories whose forks are trusted). Either way a fork's build gets no env vars.
ALTER TABLE apps ADD COLUMN fork_pull_requests text NOT NULL DEFAULT 'approve'
    CHECK (fork_pull_requests IN ('approve', 'never', 'always'));
-- Whether builds of pull requests from the repository itself (not forks) get the app's env vars.
ALTER TABLE apps ADD COLUMN pull_request_secrets boolean NOT NULL DEFAULT false;

ALTER TABLE deployments DROP CONSTRAINT deployments_status_check;
ALTER TABLE deployments ADD CONSTRAINT deployments_status_check CHECK (status IN (
    'awaiting_approval', 'pending', 'cloning', 'analyzing', 'building', 'pushing',
    'built', 'build_failed', 'cancelled',
    'deploying', 'live', 'deploy_failed'));

-- A pull request whose head repository is not the base repository (or no longer exists).
ALTER TABLE deployments ADD COLUMN from_fork boolean NOT NULL DEFAULT false;
-- The head repository's owner/name as GitHub sent it (null when the same repository or gone).
ALTER TABLE deployments ADD COLUMN head_repository text;
-- Who let a waiting build start: 'github:<login>' (a Check Run action) or 'rhone:<login>' (the dashboard).
ALTER TABLE deployments ADD COLUMN approved_by text;
ALTER TABLE deployments ADD COLUMN approved_at timestamptz;

-- Pull-request builds give way to newer ones of the same pull request (never to a branch).
CREATE INDEX deployments_app_pull_request_waiting ON deployments (app_id, pull_request_number)
    WHERE status IN ('pending', 'awaiting_approval') AND pull_request_number IS NOT NULL;
