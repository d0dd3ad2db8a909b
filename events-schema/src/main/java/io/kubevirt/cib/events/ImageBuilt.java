package io.kubevirt.cib.events;

/** One image exists and can be verified. {@code reused} marks an image found from an earlier attempt. */
public record ImageBuilt(
        String schemaVersion,
        String buildId,
        Cloud cloud,
        String region,
        String project,
        String imageId,
        String imageName,
        String kubevirtVersion,
        String kubernetesVersion,
        String cdiVersion,
        Double durationSeconds,
        String templateDigest,
        Boolean reused,
        String causedBy,
        String replayOf) implements PipelineEvent {
}
