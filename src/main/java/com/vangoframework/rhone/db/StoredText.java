package com.vangoframework.rhone.db;

import java.sql.SQLException;

/**
 * Text from outside (build output, commit messages and authors, failure sentences, request fields)
 * made storable in a PostgreSQL {@code text} column, and the line between database errors that a
 * retry can cure and those it cannot.
 */
public final class StoredText {

    private StoredText() {
    }

    /**
     * {@code text} with every C0 control character but tab, line feed, carriage return and escape
     * replaced by its Control Pictures symbol (U+0000 becomes U+2400 "␀", U+0007 becomes "␇"). PostgreSQL
     * refuses U+0000 in {@code text} outright, and the other controls only garble a page or a
     * terminal; a symbol, unlike dropping the byte or writing U+FFFD, still says which byte it was.
     * Escape stays for the colours of build output; line breaks stay for multi-line values (a
     * build log splits its lines on them before this runs, so a stored log line never holds one).
     * Null stays null; the length in characters never changes.
     */
    public static String clean(String text) {
        if (text == null) {
            return null;
        }
        int first = firstToReplace(text);
        if (first < 0) {
            return text; // the usual case: no copy
        }
        char[] chars = text.toCharArray();
        for (int i = first; i < chars.length; i++) {
            if (mustReplace(chars[i])) {
                chars[i] = (char) (0x2400 + chars[i]);
            }
        }
        return new String(chars);
    }

    private static int firstToReplace(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (mustReplace(text.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    private static boolean mustReplace(char c) {
        return c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != 0x1b;
    }

    /**
     * Whether the statement failed because of what it tried to write, so the same statement would
     * fail again: SQLSTATE class 22 (data exception: a NUL, a value out of range) or 23 (integrity
     * constraint violation: a check, a foreign key, a row gone). A unique violation (23505) is the
     * exception: two writers racing for the next number, which a second try settles.
     */
    public static boolean isPermanent(Throwable failure) {
        String state = sqlState(failure);
        if (state == null || state.length() != 5 || state.equals("23505")) {
            return false;
        }
        return state.startsWith("22") || state.startsWith("23");
    }

    /** The SQLSTATE of the first {@link SQLException} in the cause chain, or null when there is none. */
    public static String sqlState(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                return sql.getSQLState();
            }
        }
        return null;
    }
}
