package com.vangoframework.rhone.github;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One webhook body, read as its bytes arrive, without holding a thread while it waits for them
 * (the servlet's non-blocking input): a client that trickles costs a connection, not a thread.
 *
 * <p>Each piece is reserved in the {@link WebhookBodyBudget} before it is allocated, sized to the
 * declared length, so a body holds only what it has been sent (plus one piece at most): a client
 * that declares 25 MB and sends a byte holds 16 KiB. Every byte read goes into the HMAC at once,
 * so the signature needs no second pass. The body is refused as soon as it passes GitHub's cap (a
 * chunked body, or one that sends more than it declared), when the budget has no room for its
 * next piece, and when it has not arrived in full by its deadline. Whichever way it ends, its
 * reservation is given back once: on its answer, on a refusal, when the client goes away, and, as
 * a last net, when the request completes.
 *
 * <p>Jetty calls the read callbacks one at a time; the deadline fires on a timer thread. Both go
 * through this object's lock, and a body answers exactly once.
 */
final class WebhookBody implements ReadListener, AsyncListener {

    /** Why a body was not read to its end. */
    enum Refusal { TOO_LARGE, OVER_BUDGET, TOO_SLOW }

    /** What the servlet does with the body: answer it once it is read, or answer its refusal. */
    interface Receiver {
        void received(WebhookBody body, HttpServletResponse response) throws IOException;

        void refused(Refusal refusal, HttpServletResponse response) throws IOException;
    }

    /** GitHub's bodies are mostly under this: one piece, sized exactly when the length is declared. */
    private static final int FIRST_PIECE = 16 * 1024;
    private static final int PIECE = 64 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(WebhookBody.class);

    private enum State { READING, ANSWERING, DONE }

    private final AsyncContext async;
    private final ServletInputStream in;
    private final WebhookBodyBudget budget;
    private final String address;
    private final WebhookSignature.Digest digest;
    private final Receiver receiver;
    /** The declared length, or -1 for a chunked body. */
    private final long declared;
    private final List<byte[]> pieces = new ArrayList<>(1);
    private byte[] piece;
    private int filled;
    private long length;
    private long reserved;
    private State state = State.READING;
    private ScheduledFuture<?> deadline;

    WebhookBody(AsyncContext async, WebhookBodyBudget budget, String address, WebhookSignature.Digest digest,
                Receiver receiver) throws IOException {
        this.async = async;
        this.in = async.getRequest().getInputStream();
        this.budget = budget;
        this.address = address;
        this.digest = digest;
        this.receiver = receiver;
        this.declared = async.getRequest().getContentLengthLong();
    }

    /** Starts reading; a body not read in full within {@code limit} from now is refused as too slow. */
    void start(ScheduledExecutorService timer, Duration limit) {
        async.addListener(this);
        synchronized (this) {
            deadline = timer.schedule(this::tooSlow, limit.toNanos(), TimeUnit.NANOSECONDS);
        }
        in.setReadListener(this);
    }

    /** Whether {@code header} is the signature of the bytes read, compared in constant time. */
    boolean signedWith(String header) {
        return digest.matches(header);
    }

    /** The bytes read, for the parser. */
    InputStream content() {
        List<InputStream> parts = new ArrayList<>(pieces.size());
        for (int i = 0; i < pieces.size(); i++) {
            byte[] p = pieces.get(i);
            parts.add(new ByteArrayInputStream(p, 0, i == pieces.size() - 1 ? filled : p.length));
        }
        return parts.size() == 1 ? parts.get(0) : new SequenceInputStream(Collections.enumeration(parts));
    }

    @Override
    public void onDataAvailable() throws IOException {
        Refusal refusal;
        synchronized (this) {
            refusal = readWhatHasArrived();
        }
        if (refusal != null) {
            answerRefusal(refusal);
        }
    }

    /** Reads until nothing more is ready; the refusal when the body has to be refused. */
    private Refusal readWhatHasArrived() throws IOException {
        while (state == State.READING && in.isReady()) {
            if (piece == null || filled == piece.length) {
                long room = (declared >= 0 ? declared : WebhookServlet.MAX_BODY_BYTES + 1L) - length;
                if (room <= 0) {
                    // All of the declared length is here: what follows must be the end.
                    return in.read() < 0 ? null : end(Refusal.TOO_LARGE);
                }
                int size = (int) Math.min(room, pieces.isEmpty() ? FIRST_PIECE : PIECE);
                if (!budget.tryReserve(address, size)) {
                    return end(Refusal.OVER_BUDGET);
                }
                reserved += size;
                piece = new byte[size];
                filled = 0;
                pieces.add(piece);
            }
            int n = in.read(piece, filled, piece.length - filled);
            if (n < 0) {
                return null; // the end: Jetty calls onAllDataRead next
            }
            digest.update(piece, filled, n);
            filled += n;
            length += n;
            if (length > WebhookServlet.MAX_BODY_BYTES) {
                return end(Refusal.TOO_LARGE);
            }
        }
        return null;
    }

    @Override
    public void onAllDataRead() {
        synchronized (this) {
            if (state != State.READING) {
                return;
            }
            state = State.ANSWERING;
            deadline.cancel(false);
        }
        try {
            receiver.received(this, (HttpServletResponse) async.getResponse());
        } catch (IOException gone) {
            LOG.debug("The client of a webhook delivery from {} went away before its answer", address, gone);
        } catch (RuntimeException e) {
            LOG.error("A webhook delivery from {} could not be answered", address, e);
        } finally {
            synchronized (this) {
                end(null);
            }
            async.complete();
        }
    }

    private void tooSlow() {
        synchronized (this) {
            if (state != State.READING) {
                return;
            }
            end(Refusal.TOO_SLOW);
        }
        answerRefusal(Refusal.TOO_SLOW);
    }

    /** Client gone, or the connection failed: nothing to answer, the bytes go back. */
    @Override
    public void onError(Throwable t) {
        synchronized (this) {
            if (state != State.READING) {
                return; // answering or answered: that path completes the request
            }
            end(null);
        }
        LOG.debug("A webhook body from {} ended early", address, t);
        async.complete();
    }

    /** Marks the body done and gives its bytes back; called with the lock held. */
    private Refusal end(Refusal refusal) {
        state = State.DONE;
        if (deadline != null) {
            deadline.cancel(false);
        }
        budget.release(address, reserved);
        reserved = 0;
        pieces.clear();
        piece = null;
        return refusal;
    }

    private void answerRefusal(Refusal refusal) {
        try {
            receiver.refused(refusal, (HttpServletResponse) async.getResponse());
        } catch (IOException | RuntimeException gone) {
            LOG.debug("The refusal of a webhook body from {} could not be sent", address, gone);
        } finally {
            async.complete();
        }
    }

    @Override
    public void onComplete(AsyncEvent event) {
        synchronized (this) {
            if (state != State.DONE) {
                end(null);
            }
        }
    }

    @Override
    public void onError(AsyncEvent event) {
        onError(event.getThrowable());
    }

    @Override
    public void onTimeout(AsyncEvent event) {
        // No container timeout is set: the deadline above bounds the body, the database's own
        // timeouts bound the answer.
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
        // Not restarted.
    }
}
