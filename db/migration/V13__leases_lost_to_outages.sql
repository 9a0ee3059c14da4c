-- A lease that runs out is not always a dead node: the database may have been unreachable from
-- the node (a partition) or stalled for everyone. Two columns let the queue tell the cases apart.

-- When a reaper first saw this running row's lease expired. The row is reaped only once it has
-- stayed expired for a grace (two renewal periods) counted from here, on a database that answers:
-- after a stall of the database itself every node gets that long to renew before anyone reaps.
-- A renewal or a claim clears it.
ALTER TABLE deployments ADD COLUMN lease_lapsed_at timestamptz;

-- The node whose lease the reaper ended, kept (with the attempt) until the row is claimed again.
-- A node that was only cut off from the database may take its requeued row back while it is
-- still pending with the same attempt: no one else has started it, so exactly one node builds
-- and the lost lease spends no attempt. A row the reaper failed keeps it too, so that node can
-- say in the failure sentence what really happened.
ALTER TABLE deployments ADD COLUMN reaped_from text;
