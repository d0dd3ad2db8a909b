package io.kubevirt.cib.events;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** The outcome of booting an image and running a VM on it, with each check's evidence. */
public record ImageVerified(
        String schemaVersion,
        String buildId,
        Cloud cloud,
        String region,
        String project,
        String imageId,
        String instanceId,
        Outcome outcome,
        String reason,
        List<Check> checks,
        String kubevirtVersion,
        String kubernetesVersion,
        FoundVersions foundVersions,
        String causedBy,
        String replayOf) implements PipelineEvent {

    public enum Outcome {
        @JsonProperty("passed") PASSED,
        @JsonProperty("failed") FAILED
    }

    public record Check(String name, CheckStatus status, Long durationMillis, String evidence) {
    }

    public enum CheckStatus {
        @JsonProperty("passed") PASSED,
        @JsonProperty("failed") FAILED,
        @JsonProperty("skipped") SKIPPED
    }

    public record FoundVersions(String kubernetes, String kubevirt, String cdi) {
    }
}
