package com.vangoframework.rhone.apps;

/**
 * How long a secret must be before build logs hide it. {@code set-env} refuses a value shorter
 * than {@link #PLAIN} (unless told it is not secret), and the pipeline's masker applies both
 * limits; the README states them. Below {@link #PLAIN}, hiding every "on" or "1" would garble
 * the log and protect nothing; below {@link #ENCODED}, the base64, percent and JSON forms of a
 * value are short enough to turn up by chance in ordinary output.
 */
public final class MaskingMinimum {

    /** A value of this many characters or more is masked as it is. */
    public static final int PLAIN = 4;

    /**
     * A value of this many characters or more is also masked in its encoded forms; a line of a
     * multi-line value is masked, with its encoded forms, from this length.
     */
    public static final int ENCODED = 8;

    private MaskingMinimum() {
    }
}
