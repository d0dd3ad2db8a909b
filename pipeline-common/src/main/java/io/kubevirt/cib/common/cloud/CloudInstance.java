package io.kubevirt.cib.common.cloud;

import java.util.Map;

/** A virtual machine as a cloud reports it; {@code location} is the AWS region or GCP zone. */
public record CloudInstance(String id, String location, State state, Map<String, String> tags) {

    public CloudInstance {
        tags = Map.copyOf(tags);
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
