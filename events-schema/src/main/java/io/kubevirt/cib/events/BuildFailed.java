package io.kubevirt.cib.events;

import com.fasterxml.jackson.annotation.JsonProperty;

/** A build ended without an image. The reason is redacted before it gets here. */
public record BuildFailed(
        String schemaVersion,
        String buildId,
        Cloud cloud,
        String region,
        String kubevirtVersion,
        String kubernetesVersion,
        Stage stage,
        String reason,
        boolean retryable,
        Double durationSeconds,
        String causedBy,
        String replayOf) implements PipelineEvent {

    public enum Stage {
        @JsonProperty("request") REQUEST,
        @JsonProperty("cloud") CLOUD,
        @JsonProperty("packer") PACKER,
        @JsonProperty("timeout") TIMEOUT,
        /** The worker itself failed (an unexpected error, a crash loop, an outcome it could not write). */
        @JsonProperty("worker") WORKER
    }
}
