package com.vangoframework.rhone.deployments;

import static com.vangoframework.rhone.deployments.DeploymentStatus.ACTIVE_SQL;
import static com.vangoframework.rhone.deployments.DeploymentStatus.NOT_STARTED_SQL;

import com.vangoframework.rhone.db.StoredText;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;
import org.jdbi.v3.sqlobject.transaction.Transaction;

/**
 * Every status change is a compare-and-set: the UPDATE names the status it expects, and for a
 * running build also the lease (owner and attempt) it holds. Zero rows updated means somebody
 * else got there first; callers treat that as an answer, not an error.
 */
@RegisterConstructorMapper(Deployment.class)
public interface DeploymentDao {

    /**
     * A finished build's row values. The failure sentence can quote what the build or the
     * repository said, so its text is made storable here ({@link StoredText#clean}): a NUL in it
     * must not make the final write fail and the build run again.
     */
    record Outcome(DeploymentStatus status, String errorMessage, String imageTag, String imageDigest,
                   Long imageSizeBytes) {
        public Outcome {
            if (!status.isBuildFinished()) {
                throw new IllegalArgumentException("an outcome must be built, build_failed or cancelled, not " + status);
            }
            errorMessage = StoredText.clean(errorMessage);
            imageTag = StoredText.clean(imageTag);
            imageDigest = StoredText.clean(imageDigest);
        }

        /** An outcome whose image size is unknown (every failure, and a build that could not measure it). */
        public Outcome(DeploymentStatus status, String errorMessage, String imageTag, String imageDigest) {
            this(status, errorMessage, imageTag, imageDigest, null);
        }
    }

    /** {@code skip}: rows this node is running right now (a reaped one is taken back, never claimed anew). */
    record ClaimRequest(String owner, long leaseMillis, long[] skip) {
        public ClaimRequest(String owner, long leaseMillis) {
            this(owner, leaseMillis, new long[0]);
        }
    }

    /**
     * One reaper round of node {@code owner}: the rows in {@code mine} are this node's running builds
     * (alive, whatever their lease says); a lease is reaped once it has been seen expired for
     * {@code graceMillis}.
     */
    record ReapRequest(String owner, long[] mine, int maxAttempts, String interrupted, long graceMillis) {
    }

    record Renewal(long id, boolean cancelRequested) {
    }

    record Reaped(long id, DeploymentStatus status) {
    }

    record Page(long appId, Long before, int limit) {
    }

    @SqlQuery("SELECT * FROM deployments WHERE id = :id")
    Optional<Deployment> findById(@Bind("id") long id);

    @SqlQuery("SELECT * FROM deployments WHERE id = :id AND app_id = :appId")
    Optional<Deployment> findForApp(@Bind("appId") long appId, @Bind("id") long id);

    /** Newest first, keyset-paged on id. */
    @SqlQuery("""
            SELECT * FROM deployments
            WHERE app_id = :appId AND (CAST(:before AS bigint) IS NULL OR id < :before)
            ORDER BY id DESC LIMIT :limit""")
    List<Deployment> list(@BindMethods Page page);

    /**
     * Claims the oldest pending deployment whose app has nothing running. SKIP LOCKED lets nodes
     * claim different rows at once; the partial unique index on running rows per app is what
     * finally rules out two builds of one app (a racing claim fails with a unique violation).
     */
    @SqlQuery("""
            UPDATE deployments d
               SET status = 'cloning', attempt = d.attempt + 1, lease_owner = :owner,
                   lease_expires_at = now() + :leaseMillis * interval '1 millisecond',
                   lease_lapsed_at = NULL, reaped_from = NULL,
                   build_started_at = now(), updated_at = now()
             WHERE d.id = (
                   SELECT p.id FROM deployments p
                    WHERE p.status = 'pending' AND NOT (p.id = ANY(CAST(:skip AS bigint[])))
                      AND NOT EXISTS (SELECT 1 FROM deployments r
                                       WHERE r.app_id = p.app_id AND r.status IN\s""" + ACTIVE_SQL + """
                                      )
                    ORDER BY p.created_at, p.id
                    LIMIT 1
                    FOR UPDATE SKIP LOCKED)
               AND d.status = 'pending'
            RETURNING d.*""")
    Optional<Deployment> claimNext(@BindMethods ClaimRequest request);

    /**
     * The advisory lock that makes claims of the one-team-at-a-time mode take turns across every
     * node on this database (one builder per service deployment, so one lock). Held to the end of
     * the claiming transaction.
     */
    long ONE_TEAM_LOCK = 0x72686f6e65_0001L;

    /**
     * {@link #claimNext}, but only a build of the team whose builds are running, if any, and never
     * ahead of an older pending build of another team (so teams take turns in request order and
     * a busy team cannot starve the others). Race-free across nodes: the advisory lock is taken
     * first, and the claim is a second statement of the same READ COMMITTED transaction, so it
     * sees every claim committed before the lock was granted.
     */
    @Transaction
    default Optional<Deployment> claimNextOneTeamAtATime(ClaimRequest request) {
        lockClaims(ONE_TEAM_LOCK);
        return claimNextOfTheRunningTeam(request);
    }

    @SqlQuery("SELECT count(*) FROM (SELECT pg_advisory_xact_lock(:key)) l")
    int lockClaims(@Bind("key") long key);

    @SqlQuery("""
            UPDATE deployments d
               SET status = 'cloning', attempt = d.attempt + 1, lease_owner = :owner,
                   lease_expires_at = now() + :leaseMillis * interval '1 millisecond',
                   lease_lapsed_at = NULL, reaped_from = NULL,
                   build_started_at = now(), updated_at = now()
             WHERE d.id = (
                   SELECT p.id FROM deployments p JOIN apps a ON a.id = p.app_id
                    WHERE p.status = 'pending' AND NOT (p.id = ANY(CAST(:skip AS bigint[])))
                      AND NOT EXISTS (SELECT 1 FROM deployments r
                                       WHERE r.app_id = p.app_id AND r.status IN\s""" + ACTIVE_SQL + """
                                      )
                      AND NOT EXISTS (SELECT 1 FROM deployments r JOIN apps ra ON ra.id = r.app_id
                                       WHERE ra.team_id <> a.team_id AND r.status IN\s""" + ACTIVE_SQL + """
                                      )
                      AND NOT EXISTS (SELECT 1 FROM deployments q JOIN apps qa ON qa.id = q.app_id
                                       WHERE qa.team_id <> a.team_id AND q.status = 'pending'
                                         AND (q.created_at, q.id) < (p.created_at, p.id))
                    ORDER BY p.created_at, p.id
                    LIMIT 1
                    FOR UPDATE OF p SKIP LOCKED)
               AND d.status = 'pending'
            RETURNING d.*""")
    Optional<Deployment> claimNextOfTheRunningTeam(@BindMethods ClaimRequest request);

    /**
     * A compare-and-set on status and lease: 0 rows when the build moved on or another node holds
     * it. {@link BuildContext#advance} checks that the move is one the status allows. A row already
     * at {@code to} under the same claim counts as written: the same write tried again after its
     * commit's answer was lost (a broken connection) must not read as a lost lease.
     */
    @SqlUpdate("""
            UPDATE deployments SET status = :to, updated_at = now()
            WHERE id = :lease.deploymentId AND lease_owner = :lease.owner AND attempt = :lease.attempt
              AND (status = :from OR status = :to)""")
    int advance(@BindMethods("lease") Lease lease, @Bind("from") DeploymentStatus from,
                @Bind("to") DeploymentStatus to);

    /** The commit a build actually checked out (a manual deploy learns its SHA only now). */
    @SqlUpdate("""
            UPDATE deployments SET commit_sha = :sha, commit_message = :message, commit_author = :author,
                   updated_at = now()
            WHERE id = :lease.deploymentId AND lease_owner = :lease.owner AND attempt = :lease.attempt""")
    int recordCommit(@BindMethods("lease") Lease lease, @Bind("sha") String sha, @Bind("message") String message,
                     @Bind("author") String author);

    /**
     * Whether the row already holds {@code outcome} from this claim's attempt, with no lease left:
     * an earlier {@link #finish} of it committed although its answer never came. (A reaper that
     * failed the row writes its own sentence, so it does not match.)
     */
    @SqlQuery("""
            SELECT EXISTS (SELECT 1 FROM deployments
                            WHERE id = :lease.deploymentId AND attempt = :lease.attempt AND lease_owner IS NULL
                              AND status = :outcome.status
                              AND error_message IS NOT DISTINCT FROM :outcome.errorMessage
                              AND image_digest IS NOT DISTINCT FROM :outcome.imageDigest)""")
    boolean holdsOutcome(@BindMethods("lease") Lease lease, @BindMethods("outcome") Outcome outcome);

    /** Records the outcome, compare-and-set like {@link #advance}; the build worker checks the move first. */
    @SqlUpdate("""
            UPDATE deployments
               SET status = :outcome.status, error_message = :outcome.errorMessage,
                   image_tag = :outcome.imageTag, image_digest = :outcome.imageDigest,
                   image_size_bytes = :outcome.imageSizeBytes,
                   lease_owner = NULL, lease_expires_at = NULL, lease_lapsed_at = NULL, updated_at = now(),
                   build_finished_at = now(),
                   build_duration_ms = (extract(epoch FROM now() - coalesce(build_started_at, now())) * 1000)::bigint
             WHERE id = :lease.deploymentId AND lease_owner = :lease.owner AND attempt = :lease.attempt
               AND status = :from""")
    int finish(@BindMethods("lease") Lease lease, @Bind("from") DeploymentStatus from,
               @BindMethods("outcome") Outcome outcome);


    /**
     * A graceful stop hands a running build back to the queue. It does not count as an attempt:
     * the node chose to stop, it did not lose the build. A pending cancel wins over requeueing.
     * Rows in {@code keep} (builds still stuck in a worker) stay as they are.
     */
    @SqlQuery("""
            UPDATE deployments
               SET status = CASE WHEN cancel_requested_at IS NULL THEN 'pending' ELSE 'cancelled' END,
                   error_message = CASE WHEN cancel_requested_at IS NULL THEN error_message ELSE 'cancelled' END,
                   build_finished_at = CASE WHEN cancel_requested_at IS NULL THEN NULL ELSE now() END,
                   attempt = greatest(attempt - 1, 0), build_started_at = CASE WHEN cancel_requested_at IS NULL
                       THEN NULL ELSE build_started_at END,
                   lease_owner = NULL, lease_expires_at = NULL, lease_lapsed_at = NULL, updated_at = now()
             WHERE lease_owner = :owner AND NOT (id = ANY(:keep)) AND status IN\s""" + ACTIVE_SQL
            + " RETURNING id")
    List<Long> releaseOwned(@Bind("owner") String owner, @Bind("keep") long[] keep);


    /**
     * Extends this node's leases; a row counts only if it is still the same claim (id and attempt).
     * A renewal also ends a reaper's grace (the lease was seen expired, but its node is alive).
     */
    @SqlQuery("""
            UPDATE deployments SET lease_expires_at = now() + :leaseMillis * interval '1 millisecond',
                   lease_lapsed_at = NULL
             WHERE lease_owner = :owner
               AND (id, attempt) IN (SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:attempts AS integer[])))
               AND status IN\s""" + ACTIVE_SQL
            + " RETURNING id, cancel_requested_at IS NOT NULL AS cancel_requested")
    @RegisterConstructorMapper(Renewal.class)
    List<Renewal> renew(@Bind("owner") String owner, @Bind("leaseMillis") long leaseMillis,
                        @Bind("ids") long[] ids, @Bind("attempts") int[] attempts);


    /**
     * Rows whose node stopped renewing (killed, partitioned, or the database stalled): requeued
     * while attempts remain, failed after that, cancelled if someone asked. Two steps, so that a
     * stall of the database itself does not reap every lease the moment it answers again: a lease
     * is first noted as expired ({@code lease_lapsed_at}), and reaped only once it has stayed
     * expired for the grace since then, while its node could have renewed it. The rows this node
     * runs are never reaped by it. A reaped row keeps its attempt and names its node in
     * {@code reaped_from} until it is claimed again ({@link #takeBack}). Runs on every node; row
     * locks make it safe. Answers the rows reaped now.
     */
    default List<Reaped> reapExpired(ReapRequest request) {
        List<Reaped> reaped = reapLapsed(request);
        noteLapsed(request);
        return reaped;
    }

    /** {@link #reapExpired} with no grace and no rows of one's own: what a round does to a lease noted long ago. */
    default List<Reaped> reapExpired(int maxAttempts, String interruptedMessage) {
        var request = new ReapRequest("", new long[0], maxAttempts, interruptedMessage, 0);
        noteLapsed(request);
        return reapLapsed(request);
    }

    @SqlUpdate("""
            UPDATE deployments SET lease_lapsed_at = now()
             WHERE status IN\s""" + ACTIVE_SQL + """
               AND lease_expires_at < now() AND lease_lapsed_at IS NULL
               AND (lease_owner IS DISTINCT FROM :owner OR NOT (id = ANY(CAST(:mine AS bigint[]))))""")
    int noteLapsed(@BindMethods ReapRequest request);

    @SqlQuery("""
            UPDATE deployments SET
                   status = CASE WHEN cancel_requested_at IS NOT NULL THEN 'cancelled'
                                 WHEN attempt < :maxAttempts THEN 'pending' ELSE 'build_failed' END,
                   error_message = CASE WHEN cancel_requested_at IS NOT NULL THEN 'cancelled'
                                        WHEN attempt < :maxAttempts THEN NULL ELSE :interrupted END,
                   build_finished_at = CASE WHEN cancel_requested_at IS NOT NULL OR attempt >= :maxAttempts
                                            THEN now() END,
                   build_duration_ms = CASE WHEN cancel_requested_at IS NOT NULL OR attempt >= :maxAttempts
                       THEN (extract(epoch FROM now() - coalesce(build_started_at, now())) * 1000)::bigint END,
                   reaped_from = lease_owner,
                   lease_owner = NULL, lease_expires_at = NULL, lease_lapsed_at = NULL, updated_at = now()
             WHERE status IN\s""" + ACTIVE_SQL + """
               AND lease_expires_at < now()
               AND lease_lapsed_at <= now() - :graceMillis * interval '1 millisecond'
               AND (lease_owner IS DISTINCT FROM :owner OR NOT (id = ANY(CAST(:mine AS bigint[]))))
            RETURNING id, status""")
    @RegisterConstructorMapper(Reaped.class)
    List<Reaped> reapLapsed(@BindMethods ReapRequest request);

    /**
     * A node that was cut off from the database takes back its own reaped row: only while it is
     * still pending with the same attempt and names this node in {@code reaped_from}, i.e. no node
     * has claimed it since (a claim adds an attempt and clears the name). The row goes back to
     * {@code phase}, the last phase this node had written, with the same attempt: the outage spends
     * none. The unique index on running rows still refuses it if another build of the app started.
     */
    @SqlUpdate("""
            UPDATE deployments SET status = :phase, lease_owner = :lease.owner,
                   lease_expires_at = now() + :leaseMillis * interval '1 millisecond',
                   lease_lapsed_at = NULL, reaped_from = NULL, updated_at = now()
             WHERE id = :lease.deploymentId AND attempt = :lease.attempt AND status = 'pending'
               AND reaped_from = :lease.owner AND cancel_requested_at IS NULL""")
    int takeBack(@BindMethods("lease") Lease lease, @Bind("phase") DeploymentStatus phase,
                 @Bind("leaseMillis") long leaseMillis);

    /**
     * The reaper failed this claim at the attempt limit with "interrupted", but its node was alive
     * and only cut off from the database: the sentence is replaced by what happened.
     */
    @SqlUpdate("""
            UPDATE deployments SET error_message = :message, updated_at = now()
             WHERE id = :lease.deploymentId AND attempt = :lease.attempt AND reaped_from = :lease.owner
               AND status = 'build_failed' AND error_message = :interrupted""")
    int explainInterruption(@BindMethods("lease") Lease lease, @Bind("interrupted") String interruptedMessage,
                            @Bind("message") String message);


    /** Cancels a request that has not started: pending, or a fork's waiting for approval. */
    @SqlQuery("""
            UPDATE deployments SET status = 'cancelled', error_message = :message, cancel_requested_at = now(),
                   build_finished_at = now(), updated_at = now()
             WHERE id = :id AND status IN\s""" + NOT_STARTED_SQL + """
            RETURNING *""")
    Optional<Deployment> cancelPending(@Bind("id") long id, @Bind("message") String message);

    @SqlUpdate("""
            UPDATE deployments SET status = 'cancelled', error_message = :message, build_finished_at = now(),
                   updated_at = now()
             WHERE app_id = :appId AND pull_request_number = :number AND status IN\s""" + NOT_STARTED_SQL)
    int cancelPendingPullRequest(@Bind("appId") long appId, @Bind("number") int number, @Bind("message") String message);

    @SqlQuery("""
            UPDATE deployments SET cancel_requested_at = coalesce(cancel_requested_at, now()), updated_at = now()
             WHERE id = :id AND status IN\s""" + ACTIVE_SQL
            + " RETURNING *")
    Optional<Deployment> requestCancel(@Bind("id") long id);


    /**
     * A fork's pull request joins the queue: a compare-and-set from {@code awaiting_approval}, so
     * two approvals (GitHub and the dashboard at once) let it in once and a cancel wins over both.
     */
    @SqlQuery("""
            UPDATE deployments SET status = 'pending', approved_by = :by, approved_at = now(), updated_at = now()
             WHERE id = :id AND status = 'awaiting_approval'
            RETURNING *""")
    Optional<Deployment> approve(@Bind("id") long id, @Bind("by") String approvedBy);

    /** The newest deployment of a commit for an app (what a re-requested check suite runs again). */
    @SqlQuery("SELECT * FROM deployments WHERE app_id = :appId AND commit_sha = :sha ORDER BY id DESC LIMIT 1")
    Optional<Deployment> latestOfCommit(@Bind("appId") long appId, @Bind("sha") String sha);

    @SqlQuery("SELECT count(*) FROM deployments WHERE status = 'pending'")
    long countPending();

    /** The oldest request that could start now if a slot were free (its app has nothing running). */
    @SqlQuery("""
            SELECT min(p.created_at) FROM deployments p
             WHERE p.status = 'pending'
               AND NOT EXISTS (SELECT 1 FROM deployments r WHERE r.app_id = p.app_id AND r.status IN\s"""
            + ACTIVE_SQL + ")")
    Optional<Instant> oldestStartablePending();

    /** {@link #oldestStartablePending} under the one-team-at-a-time rule of {@link #claimNextOneTeamAtATime}. */
    @SqlQuery("""
            SELECT min(p.created_at) FROM deployments p JOIN apps a ON a.id = p.app_id
             WHERE p.status = 'pending'
               AND NOT EXISTS (SELECT 1 FROM deployments r WHERE r.app_id = p.app_id AND r.status IN\s"""
            + ACTIVE_SQL + """
               )
               AND NOT EXISTS (SELECT 1 FROM deployments r JOIN apps ra ON ra.id = r.app_id
                                WHERE ra.team_id <> a.team_id AND r.status IN\s""" + ACTIVE_SQL + """
                               )
               AND NOT EXISTS (SELECT 1 FROM deployments q JOIN apps qa ON qa.id = q.app_id
                                WHERE qa.team_id <> a.team_id AND q.status = 'pending'
                                  AND (q.created_at, q.id) < (p.created_at, p.id))""")
    Optional<Instant> oldestStartablePendingOneTeamAtATime();

}
