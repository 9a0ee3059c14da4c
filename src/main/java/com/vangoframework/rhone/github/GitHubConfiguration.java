package com.vangoframework.rhone.github;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.DataSize;
import io.dropwizard.util.DataSizeUnit;
import io.dropwizard.validation.MinDataSize;
import io.dropwizard.validation.MinDuration;
import jakarta.validation.constraints.NotNull;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The GitHub App this service is. Every field comes from an env var in config.yml. */
public class GitHubConfiguration {

    /** The App id or its client id (both are accepted as the JWT issuer). */
    private String appId = "";
    /** PEM text of the App's private key (PKCS#1 as GitHub downloads it, or PKCS#8). */
    private String privateKey = "";
    /** A file holding that PEM instead. */
    private String privateKeyFile = "";
    /** Without it the webhook endpoint refuses every delivery. */
    private String webhookSecret = "";
    private String apiUrl = "https://api.github.com";
    /** The dashboard's base URL, for Check Run details links. */
    private String publicUrl = "http://localhost:8080";
    private String checkName = "rhone";
    private io.dropwizard.util.Duration redeliveryInterval = io.dropwizard.util.Duration.minutes(5);
    private int webhookRatePerAddress = 10;
    private int webhookRateOverall = 1000;
    @NotNull
    @MinDataSize(value = 1, unit = DataSizeUnit.MEBIBYTES)
    private DataSize webhookBodyBudget = DataSize.mebibytes(64);
    @NotNull
    @MinDuration(value = 100, unit = TimeUnit.MILLISECONDS)
    private io.dropwizard.util.Duration webhookBodyDeadline = io.dropwizard.util.Duration.seconds(10);
    private String webhookAddressHeader = "";

    @JsonProperty public String getAppId() { return appId; }
    @JsonProperty public void setAppId(String appId) { this.appId = nz(appId); }
    @JsonProperty public String getPrivateKey() { return privateKey; }
    @JsonProperty public void setPrivateKey(String privateKey) { this.privateKey = nz(privateKey); }
    @JsonProperty public String getPrivateKeyFile() { return privateKeyFile; }
    @JsonProperty public void setPrivateKeyFile(String privateKeyFile) { this.privateKeyFile = nz(privateKeyFile); }
    @JsonProperty public String getWebhookSecret() { return webhookSecret; }
    @JsonProperty public void setWebhookSecret(String webhookSecret) { this.webhookSecret = nz(webhookSecret); }
    @JsonProperty public String getApiUrl() { return apiUrl; }
    @JsonProperty public void setApiUrl(String apiUrl) { this.apiUrl = stripSlash(apiUrl); }
    @JsonProperty public String getPublicUrl() { return publicUrl; }
    @JsonProperty public void setPublicUrl(String publicUrl) { this.publicUrl = stripSlash(publicUrl); }
    @JsonProperty public String getCheckName() { return checkName; }
    @JsonProperty public void setCheckName(String checkName) { this.checkName = nz(checkName).isEmpty() ? "rhone" : checkName; }

    /** How often failed deliveries are looked for and redelivered. */
    @JsonProperty public io.dropwizard.util.Duration getRedeliveryInterval() { return redeliveryInterval; }
    @JsonProperty public void setRedeliveryInterval(io.dropwizard.util.Duration v) { this.redeliveryInterval = v; }

    /**
     * Refused deliveries per second from one address (bad signature, too large, too slow; past it
     * the address's deliveries are refused unread), and deliveries that verified per second in all.
     */
    @JsonProperty public int getWebhookRatePerAddress() { return webhookRatePerAddress; }
    @JsonProperty public void setWebhookRatePerAddress(int v) { this.webhookRatePerAddress = v; }
    @JsonProperty public int getWebhookRateOverall() { return webhookRateOverall; }
    @JsonProperty public void setWebhookRateOverall(int v) { this.webhookRateOverall = v; }

    /** Bytes of webhook bodies being read at once on this node; a body with no room left gets 503. */
    @JsonProperty public DataSize getWebhookBodyBudget() { return webhookBodyBudget; }
    @JsonProperty public void setWebhookBodyBudget(DataSize v) { this.webhookBodyBudget = v; }
    /** How long a body may take to arrive in full, from the request's start; past it 408. */
    @JsonProperty public io.dropwizard.util.Duration getWebhookBodyDeadline() { return webhookBodyDeadline; }
    @JsonProperty public void setWebhookBodyDeadline(io.dropwizard.util.Duration v) { this.webhookBodyDeadline = v; }
    /** Empty, or the header a fronting proxy puts the client's address in (see WebhookLimits). */
    @JsonProperty public String getWebhookAddressHeader() { return webhookAddressHeader; }
    @JsonProperty public void setWebhookAddressHeader(String v) { this.webhookAddressHeader = nz(v); }

    /** The App can call GitHub only with an id and a key. */
    public boolean hasAppCredentials() {
        return !appId.isEmpty() && (!privateKey.isEmpty() || !privateKeyFile.isEmpty());
    }

    /** The key's PEM text, from the value or the file. */
    public String privateKeyPem() {
        if (!privateKey.isEmpty()) {
            // Env vars often carry PEM with literal "\n"; accept both forms.
            return privateKey.replace("\\n", "\n");
        }
        try {
            return Files.readString(Path.of(privateKeyFile));
        } catch (IOException e) {
            throw new UncheckedIOException("GITHUB_PRIVATE_KEY_FILE " + privateKeyFile + " cannot be read", e);
        }
    }

    private static String nz(String s) {
        return s == null ? "" : s.trim();
    }

    private static String stripSlash(String s) {
        String v = nz(s);
        return v.endsWith("/") ? v.substring(0, v.length() - 1) : v;
    }
}
