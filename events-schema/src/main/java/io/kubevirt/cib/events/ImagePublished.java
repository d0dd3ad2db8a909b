package io.kubevirt.cib.events;

/** One image is public in one region (an AWS copy or the source) or exported to a bucket (GCP). */
public record ImagePublished(
        String schemaVersion,
        String buildId,
        String releaseTag,
        Cloud cloud,
        String region,
        String project,
        String imageId,
        String sourceImageId,
        String sourceRegion,
        String kubevirtVersion,
        String exportUri,
        String causedBy,
        String replayOf) implements PipelineEvent {
}
