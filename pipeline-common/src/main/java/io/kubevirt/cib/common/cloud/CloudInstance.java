package io.kubevirt.cib.common.cloud;

import java.util.Map;
import java.util.Optional;

/**
 * A virtual machine as a cloud reports it; {@code location} is the AWS region or GCP zone, {@code address} the
 * address to reach it by (public if it has one, else private; empty until the cloud assigned one).
 */
public record CloudInstance(String id, String location, State state, Map<String, String> tags,
        Optional<String> address) {

    public CloudInstance {
        tags = Map.copyOf(tags);
        address = address == null ? Optional.empty() : address;
    }

    public CloudInstance(String id, String location, State state, Map<String, String> tags) {
        this(id, location, state, tags, Optional.empty());
    }

    public enum State {
        PENDING,
        RUNNING,
        STOPPING,
        STOPPED,
        SHUTTING_DOWN,
        TERMINATED;

        /** Anything but terminated still costs money or may still come up, so it counts as a leftover. */
        public boolean isAlive() {
            return this != TERMINATED;
        }
    }
}
