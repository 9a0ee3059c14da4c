package com.vangoframework.rhone.pipeline;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

/** Forwards process output to the build log and keeps the last lines for the error sentence. */
final class OutputTail implements Consumer<String> {

    private final Consumer<String> log;
    private final int keep;
    private final Deque<String> tail = new ArrayDeque<>();

    OutputTail(Consumer<String> log, int keep) {
        this.log = log;
        this.keep = keep;
    }

    @Override
    public synchronized void accept(String line) {
        log.accept(line);
        tail.addLast(line);
        if (tail.size() > keep) {
            tail.removeFirst();
        }
    }

    synchronized List<String> lines() {
        return new ArrayList<>(tail);
    }
}
