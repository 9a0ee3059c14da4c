package com.vangoframework.rhone.web;

import com.vangoframework.rhone.logs.StepDao;
import java.util.ArrayList;
import java.util.List;

/**
 * The app page's picture of its recent builds: one bar per deployment, oldest on the left, stacked
 * by phase (clone, analysis, build, push) with heights proportional to the time from the claim to
 * the image, and under each the share of its steps that came from the cache. The wait in the queue
 * is left out of the bars (one pull request approved days later would flatten the other 29) and is
 * text in the bar's tooltip ({@code queued 2 d 3 h}). SVG coordinates in the picture's
 * own units ({@link #WIDTH} by {@link #HEIGHT}), so the template only prints numbers.
 */
public record HistoryView(List<Bar> bars, String longest, int width, int height, boolean recorded) {

    static final int LIMIT = 30;
    static final int WIDTH = LIMIT * 20;
    static final int HEIGHT = 150;
    /** The stacked bars stand in the top 100 units; the cache-hit bars in 24 units below. */
    private static final double CHART = 100;
    private static final double CACHE_TOP = 112;
    private static final double CACHE = 24;
    private static final String[] PHASES = {"clone", "analysis", "build", "push"};

    /** One part of a bar: a phase's rectangle and its tooltip. */
    public record Segment(String phase, String y, String height, String title) {
    }

    /** {@code cacheShare}: "83%", or "" when the build recorded no steps. */
    public record Bar(long id, String status, String x, String labelX, List<Segment> segments, String title,
                      String cacheShare, String cacheY, String cacheHeight) {
    }

    /** Nothing to draw: no deployment, or none recorded a phase or a step (all older than the recording). */
    public boolean isEmpty() {
        return !recorded;
    }

    public static HistoryView of(List<StepDao.BuildHistory> newestFirst) {
        long max = 1;
        boolean recorded = false;
        for (StepDao.BuildHistory h : newestFirst) {
            max = Math.max(max, total(h));
            recorded |= total(h) > 0 || h.queuedMs() > 0 || h.steps() > 0;
        }
        List<Bar> bars = new ArrayList<>(newestFirst.size());
        for (int i = newestFirst.size() - 1, slot = 0; i >= 0; i--, slot++) {
            StepDao.BuildHistory h = newestFirst.get(i);
            long[] ms = {h.cloneMs(), h.analysisMs(), h.buildMs(), h.pushMs()};
            List<Segment> segments = new ArrayList<>(PHASES.length);
            double bottom = CHART;
            StringBuilder title = new StringBuilder("Deployment ").append(h.deploymentId()).append(" (")
                    .append(h.status().replace('_', ' ')).append("): ").append(Formats.duration(total(h)));
            for (int p = 0; p < PHASES.length; p++) {
                if (ms[p] <= 0) {
                    continue;
                }
                double height = ms[p] * CHART / max;
                bottom -= height;
                segments.add(new Segment(PHASES[p], num(bottom), num(height),
                        PHASES[p] + " " + Formats.duration(ms[p])));
                title.append(" · ").append(PHASES[p]).append(' ').append(Formats.duration(ms[p]));
            }
            if (h.queuedMs() > 0) {
                title.append(" · queued ").append(TimelineView.waited(h.queuedMs()));
            }
            String share = "";
            double cacheHeight = 0;
            if (h.steps() > 0) {
                share = Math.round(h.cachedSteps() * 100.0 / h.steps()) + "%";
                cacheHeight = h.cachedSteps() * CACHE / h.steps();
                title.append(" · ").append(h.cachedSteps()).append(" of ").append(h.steps()).append(" steps cached");
            }
            bars.add(new Bar(h.deploymentId(), h.status(), num(slot * 20 + 3), num(slot * 20 + 10), segments,
                    title.toString(), share, num(CACHE_TOP + CACHE - cacheHeight), num(cacheHeight)));
        }
        return new HistoryView(bars, Formats.duration(max), WIDTH, HEIGHT, recorded);
    }

    private static long total(StepDao.BuildHistory h) {
        return h.cloneMs() + h.analysisMs() + h.buildMs() + h.pushMs();
    }

    /** One decimal, without String.format. */
    private static String num(double v) {
        long tenths = Math.round(v * 10);
        return tenths % 10 == 0 ? Long.toString(tenths / 10) : tenths / 10 + "." + Math.abs(tenths % 10);
    }
}
