package io.ironbell.it;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/** Fresh databases on the test PostgreSQL that .ci/pg starts; never skipped when it is missing. */
final class TestPostgres {

    static final String ADMIN_URL = System.getProperty("ironbell.test.jdbc.url", "jdbc:postgresql://127.0.0.1:55432/postgres");
    static final String USER = "ironbell";

    private TestPostgres() {
    }

    /** Creates an empty database and returns its JDBC URL. */
    static String createDatabase() throws SQLException {
        String name = "ib_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(ADMIN_URL, USER, ""); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new SQLException("the test PostgreSQL is not reachable at " + ADMIN_URL + " (start it with .ci/pg start): "
                    + e.getMessage(), e);
        }
        return ADMIN_URL.substring(0, ADMIN_URL.lastIndexOf('/') + 1) + name;
    }
}
