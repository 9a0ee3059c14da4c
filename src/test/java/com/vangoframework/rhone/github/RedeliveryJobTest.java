package com.vangoframework.rhone.github;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.testing.FakeGitHub;
import com.vangoframework.rhone.testing.TestPostgres;
import java.time.Clock;
import java.time.Duration;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;

class RedeliveryJobTest {

    @Test
    void onlyFailedDeliveriesThatRhoneNeverRecorded_areRedelivered() throws Exception {
        Jdbi jdbi = TestPostgres.jdbi(TestPostgres.freshDatabase());
        jdbi.useHandle(h -> h.execute("INSERT INTO webhook_deliveries (delivery_id, event, outcome) "
                + "VALUES ('guid-recorded', 'push', 'deployment [1] created')"));
        try (FakeGitHub github = new FakeGitHub(42, "t", "acme/web")) {
            String page2 = github.url() + "/app/hook/deliveries?per_page=100&cursor=p2";
            github.server.stubFor(get(urlEqualTo("/app/hook/deliveries?per_page=100")).willReturn(aResponse()
                    .withStatus(200).withHeader("Content-Type", "application/json")
                    .withHeader("Link", "<" + page2 + ">; rel=\"next\"")
                    .withBody("""
                            [{"id": 11, "guid": "guid-lost", "status_code": 502, "event": "push", "action": null},
                             {"id": 12, "guid": "guid-recorded", "status_code": 504, "event": "push"},
                             {"id": 13, "guid": "guid-fine", "status_code": 202, "event": "push"}]""")));
            github.server.stubFor(get(urlEqualTo("/app/hook/deliveries?per_page=100&cursor=p2")).willReturn(aResponse()
                    .withStatus(200).withHeader("Content-Type", "application/json")
                    .withBody("""
                            [{"id": 5, "guid": "guid-retried", "status_code": 0, "event": "push"},
                             {"id": 14, "guid": "guid-retried", "status_code": 200, "event": "push", "redelivery": true}]""")));
            github.server.stubFor(post(urlMatching("/app/hook/deliveries/\\d+/attempts")).willReturn(aResponse()
                    .withStatus(202).withBody("{}")));

            RedeliveryJob job = new RedeliveryJob(github.url(), new AppJwt("1",
                    AppPrivateKey.parse(GitHubAuthTest.pkcs1Pem()), Clock.systemUTC()), jdbi, new ObjectMapper(),
                    Duration.ofMinutes(5));
            assertThat(job.runOnce()).isEqualTo(1);
            github.server.verify(1, postRequestedFor(urlEqualTo("/app/hook/deliveries/11/attempts"))
                    .withHeader("Authorization", matching("Bearer .+")));
            github.server.verify(1, postRequestedFor(urlMatching("/app/hook/deliveries/\\d+/attempts")));
        }
    }
}
