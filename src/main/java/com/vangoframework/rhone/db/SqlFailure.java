package com.vangoframework.rhone.db;

import java.sql.SQLException;

/** A statement run as plain JDBC failed; unchecked, like JDBI's own exceptions. */
public final class SqlFailure extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public SqlFailure(String what, SQLException cause) {
        super(what + " failed: " + cause.getMessage(), cause);
    }
}
