package io.kubevirt.cib.events;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * Summary of one release's publication; failed regions are listed, not hidden. 1.2: {@code dryRun} and {@code plan}
 * for a dry run's plan (nothing changed).
 */
public record ReleasePublished(
        String schemaVersion,
        String buildId,
        String releaseTag,
        String kubevirtVersion,
        Outcome outcome,
        List<PublishedImage> published,
        List<FailedRegion> failedRegions,
        String causedBy,
        String replayOf,
        Boolean dryRun,
        List<String> plan) implements PipelineEvent {

    /** A publication that was not a dry run (the 1.0/1.1 shape). */
    public ReleasePublished(String schemaVersion, String buildId, String releaseTag, String kubevirtVersion,
            Outcome outcome, List<PublishedImage> published, List<FailedRegion> failedRegions, String causedBy,
            String replayOf) {
        this(schemaVersion, buildId, releaseTag, kubevirtVersion, outcome, published, failedRegions, causedBy,
                replayOf, null, null);
    }

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
