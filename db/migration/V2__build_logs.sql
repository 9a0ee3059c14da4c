-- Build output, append-only: a build's log is a sequence of chunks, each holding several lines
-- written in one batched insert. Lines are stored already masked, each prefixed by its time.
CREATE TABLE deployment_log_chunks (
    deployment_id bigint      NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    seq           integer     NOT NULL CHECK (seq >= 0),
    first_line    integer     NOT NULL CHECK (first_line >= 0),
    line_count    integer     NOT NULL CHECK (line_count > 0),
    bytes         integer     NOT NULL CHECK (bytes >= 0),
    content       text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (deployment_id, seq)
);
