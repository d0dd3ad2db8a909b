package io.kubevirt.cib.events;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * What the cleanup-worker did, or in a dry run would do, to cloud resources (schema v2: one entry per resource, each
 * with its cloud, location or none for global ones, and why it was chosen). For a sweep, {@code buildId} is the
 * sweep's run id.
 */
public record ResourcesCleaned(
        String schemaVersion,
        String buildId,
        Trigger trigger,
        boolean dryRun,
        List<Resource> resources,
        String causedBy,
        String replayOf) implements PipelineEvent {

    /** The version this code writes; v1 was never emitted and is no longer read. */
    public static final String CURRENT_VERSION = "2.0";

    public ResourcesCleaned {
        resources = resources == null ? null : List.copyOf(resources);
    }

    public enum Trigger {
        @JsonProperty("verification") VERIFICATION,
        @JsonProperty("build") BUILD,
        @JsonProperty("sweep") SWEEP,
        @JsonProperty("lifecycle") LIFECYCLE
    }

    /**
     * One resource and what happened to it.
     *
     * @param location region or zone; null for global resources (GCP images)
     * @param error redacted, only when {@code result} is failed
     */
    public record Resource(Cloud cloud, Kind kind, String id, String name, String location, String project,
            String buildId, Action action, Result result, String reason, String error) {
    }

    public enum Kind {
        @JsonProperty("instance") INSTANCE,
        @JsonProperty("image") IMAGE,
        @JsonProperty("snapshot") SNAPSHOT,
        @JsonProperty("disk") DISK,
        @JsonProperty("security-group") SECURITY_GROUP,
        @JsonProperty("key-pair") KEY_PAIR
    }

    public enum Action {
        @JsonProperty("terminate") TERMINATE,
        @JsonProperty("delete") DELETE,
        @JsonProperty("deprecate") DEPRECATE,
        /** The expiry tag was set: the sweep removes it once that time has passed (survives restarts). */
        @JsonProperty("expire") EXPIRE
    }

    public enum Result {
        @JsonProperty("done") DONE,
        @JsonProperty("already-gone") ALREADY_GONE,
        @JsonProperty("planned") PLANNED,
        @JsonProperty("failed") FAILED
    }
}
