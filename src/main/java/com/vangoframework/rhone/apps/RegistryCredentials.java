package com.vangoframework.rhone.apps;

/** An app's own registry user and password, decrypted for the one build that uses them. */
public record RegistryCredentials(String username, String password) {

    /** Never the password: a record's default toString would print it into any log that shows one. */
    @Override
    public String toString() {
        return "RegistryCredentials[username=" + username + ", password=****]";
    }
}
