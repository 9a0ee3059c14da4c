package com.vangoframework.rhone.apps;

import java.time.Instant;

public record Team(long id, String slug, String name, Instant createdAt) {
}
