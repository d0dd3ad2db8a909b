package io.kubevirt.cib.events;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** Summary of one release's publication; failed regions are listed, not hidden. */
public record ReleasePublished(
        String schemaVersion,
        String buildId,
        String releaseTag,
        String kubevirtVersion,
        Outcome outcome,
        List<PublishedImage> published,
        List<FailedRegion> failedRegions,
        String causedBy,
        String replayOf) implements PipelineEvent {

    public enum Outcome {
        @JsonProperty("complete") COMPLETE,
        @JsonProperty("partial") PARTIAL,
        @JsonProperty("failed") FAILED
    }

    public record PublishedImage(Cloud cloud, String region, String imageId, String exportUri) {
    }

    public record FailedRegion(Cloud cloud, String region, String reason) {
    }
}
