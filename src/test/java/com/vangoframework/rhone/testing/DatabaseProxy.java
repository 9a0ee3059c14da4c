package com.vangoframework.rhone.testing;

import com.vangoframework.rhone.db.DatabaseTarget;
import java.io.IOException;
import java.net.URI;

/**
 * A {@link TcpProxy} between one node and the tests' PostgreSQL, so that a test can take the
 * database away from that node only: {@link #cut()} is a broken network path (connections close,
 * new ones are refused), {@link #pause()} a database that stopped answering, as under SIGSTOP.
 */
public final class DatabaseProxy implements AutoCloseable {

    private final DatabaseTarget behind;
    private final TcpProxy proxy;

    public DatabaseProxy(DatabaseTarget behind) throws IOException {
        URI uri = URI.create(behind.jdbcUrl().substring("jdbc:".length()));
        if (!"postgresql".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("not a jdbc:postgresql://host:port/... URL: " + behind.jdbcUrl());
        }
        this.behind = behind;
        this.proxy = new TcpProxy(uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort());
    }

    /** The same database, reached through this proxy. */
    public DatabaseTarget target() {
        URI uri = URI.create(behind.jdbcUrl().substring("jdbc:".length()));
        String through = "jdbc:postgresql://127.0.0.1:" + proxy.port() + uri.getRawPath()
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        return new DatabaseTarget(through, behind.user(), behind.password());
    }

    /** The database is out of reach: open connections break, new ones are refused. */
    public void cut() {
        proxy.cut();
    }

    /** Connections refused while cut, so far. */
    public int refused() {
        return proxy.refused();
    }

    /** The database answers again (through new connections). */
    public void restore() {
        proxy.restore();
    }

    /** From now on no byte passes either way, and new connections are accepted but not connected. */
    public void pause() {
        proxy.pause();
    }

    public void resume() {
        proxy.resume();
    }

    @Override
    public void close() {
        proxy.close();
    }
}
