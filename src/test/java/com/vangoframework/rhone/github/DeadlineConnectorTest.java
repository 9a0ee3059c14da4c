package com.vangoframework.rhone.github;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.kohsuke.github.GitHubBuilder;

class DeadlineConnectorTest {

    @Test
    @Timeout(30) // without a deadline the call would wait for ever: fail instead of hanging the suite
    void aGitHubThatAcceptsTheConnectionAndNeverAnswers_failsTheCallAtTheDeadline() throws Exception {
        List<Socket> held = new ArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(silent.accept()); // read nothing, answer nothing
                    }
                } catch (Exception closed) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            var github = new GitHubBuilder().withEndpoint("http://127.0.0.1:" + silent.getLocalPort())
                    .withOAuthToken("gho_test")
                    .withConnector(new DeadlineConnector(HttpClient.newHttpClient(), Duration.ofMillis(500)))
                    .build();
            assertThatThrownBy(github::getMyself).hasRootCauseInstanceOf(HttpTimeoutException.class);
            assertThat(held).isNotEmpty();
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }
}
