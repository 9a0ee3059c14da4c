package com.vangoframework.rhone.db;

import static org.assertj.core.api.Assertions.assertThat;

import io.dropwizard.jersey.validation.Validators;
import io.dropwizard.util.Duration;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validator;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The pool's bounds as the driver and the server get them, and the settings refused at start. */
class DatabaseConfigurationTest {

    private static final Validator VALIDATOR = Validators.newValidator();

    @Test
    void aSocketTimeoutNotPastTheStatementTimeout_isRefusedAtStart() {
        DatabaseConfiguration c = new DatabaseConfiguration();
        c.setStatementTimeout(Duration.seconds(20));
        c.setSocketTimeout(Duration.seconds(20));

        Set<ConstraintViolation<DatabaseConfiguration>> refused = VALIDATOR.validate(c);

        assertThat(refused).extracting(ConstraintViolation::getMessage).containsExactly("socketTimeout must be longer "
                + "than statementTimeout (in whole seconds), so the server cancels a slow statement before the pool "
                + "gives up on the connection");
        c.setStatementTimeout(Duration.seconds(0)); // the server's own: nothing to compare with
        assertThat(VALIDATOR.validate(c)).isEmpty();
    }

    @Test
    void theDefaults_areValid_andReachTheDriverAndTheServer() {
        DatabaseConfiguration c = new DatabaseConfiguration();
        assertThat(VALIDATOR.validate(c)).isEmpty();

        var factory = c.dataSourceFactory(new DatabaseTarget("jdbc:postgresql://db.example/rhone", "rhone", "pw"));

        assertThat(factory.getMaxWaitForConnection()).isEqualTo(Duration.seconds(5));
        assertThat(factory.getProperties()).containsEntry("connectTimeout", "5").containsEntry("loginTimeout", "5")
                .containsEntry("socketTimeout", "20").containsEntry("tcpKeepAlive", "true")
                .containsEntry("options", "-c statement_timeout=15000 -c idle_in_transaction_session_timeout=60000");
    }

    @Test
    void serverTimeoutsOfZero_leaveTheServersOwn_andPartsOfASecondCountAsOne() {
        DatabaseConfiguration c = new DatabaseConfiguration();
        c.setStatementTimeout(Duration.seconds(0));
        c.setIdleInTransactionTimeout(Duration.seconds(0));
        c.setConnectTimeout(Duration.milliseconds(1500));

        assertThat(c.driverProperties()).doesNotContainKey("options").containsEntry("connectTimeout", "2");
    }
}
