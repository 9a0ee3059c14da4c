package com.vangoframework.rhone.github;

import java.util.HashMap;
import java.util.Map;

/**
 * The bytes of webhook bodies being read, across every request on this node, held under one
 * budget: a body reserves each piece before it allocates it and gives all of it back when it ends,
 * whichever way it ends. So the memory that bodies take is bounded however many clients send at
 * once, and however slowly.
 *
 * <p>One source address may hold at most half the budget (but always enough for one body of
 * GitHub's largest size): a single client with many connections cannot take all of it, and
 * GitHub's small deliveries from its own addresses still find room. Many addresses together can
 * still fill it; what they get is a 503, what GitHub gets meanwhile is a 503 that its redelivery
 * job asks for again later, and the node's memory stays where it was.
 */
public final class WebhookBodyBudget {

    private final long capacity;
    private final long perAddress;
    private final Map<String, Long> byAddress = new HashMap<>();
    private long inFlight;
    private long peak;

    public WebhookBodyBudget(long capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("the webhook body budget must be positive");
        }
        this.capacity = capacity;
        this.perAddress = Math.max(capacity / 2, WebhookServlet.MAX_BODY_BYTES + 1L);
    }

    /** Takes {@code bytes} for a body from {@code address}; false, taking nothing, past either limit. */
    synchronized boolean tryReserve(String address, long bytes) {
        long mine = byAddress.getOrDefault(address, 0L);
        if (inFlight + bytes > capacity || mine + bytes > perAddress) {
            return false;
        }
        inFlight += bytes;
        peak = Math.max(peak, inFlight);
        byAddress.put(address, mine + bytes);
        return true;
    }

    synchronized void release(String address, long bytes) {
        if (bytes == 0) {
            return;
        }
        inFlight -= bytes;
        long mine = byAddress.getOrDefault(address, 0L) - bytes;
        if (mine <= 0) {
            byAddress.remove(address);
        } else {
            byAddress.put(address, mine);
        }
    }

    public long capacity() {
        return capacity;
    }

    /** Bytes reserved by bodies being read now. */
    public synchronized long inFlight() {
        return inFlight;
    }

    /** The most ever reserved at once since start. */
    public synchronized long peak() {
        return peak;
    }
}
