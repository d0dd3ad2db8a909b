package io.kubevirt.cib.events;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** Cloud resources removed after a phase, or by a sweep of expired tagged leftovers. */
public record ResourcesCleaned(
        String schemaVersion,
        String buildId,
        Cloud cloud,
        Trigger trigger,
        List<Resource> removed,
        List<FailedResource> failed,
        String causedBy,
        String replayOf) implements PipelineEvent {

    public enum Trigger {
        @JsonProperty("build") BUILD,
        @JsonProperty("verification") VERIFICATION,
        @JsonProperty("release") RELEASE,
        @JsonProperty("sweep") SWEEP
    }

    public record Resource(Kind kind, String id, String region) {
    }

    public record FailedResource(Kind kind, String id, String region, String reason) {
    }

    /** What was (or could not be) removed. */
    public enum Kind {
        @JsonProperty("instance") INSTANCE,
        @JsonProperty("image") IMAGE,
        @JsonProperty("snapshot") SNAPSHOT,
        @JsonProperty("disk") DISK,
        @JsonProperty("security-group") SECURITY_GROUP,
        @JsonProperty("key-pair") KEY_PAIR
    }
}
