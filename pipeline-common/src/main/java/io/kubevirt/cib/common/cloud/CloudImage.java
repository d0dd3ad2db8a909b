package io.kubevirt.cib.common.cloud;

import java.util.List;
import java.util.Map;

/**
 * An image as a cloud reports it. {@code location} is the AWS region; GCP images are global and carry the project.
 */
public record CloudImage(
        String id,
        String name,
        String location,
        State state,
        Map<String, String> tags,
        List<String> snapshotIds) {

    public CloudImage {
        tags = Map.copyOf(tags);
        snapshotIds = List.copyOf(snapshotIds);
    }

    public enum State {
        PENDING,
        AVAILABLE,
        FAILED
    }
}
