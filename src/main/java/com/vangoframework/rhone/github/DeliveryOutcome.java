package com.vangoframework.rhone.github;

import java.util.List;

/** What a delivery came to, as recorded and answered, and the deployments it created. */
record DeliveryOutcome(String text, List<Long> ids) {

    static DeliveryOutcome of(String text) {
        return new DeliveryOutcome(text, List.of());
    }
}
