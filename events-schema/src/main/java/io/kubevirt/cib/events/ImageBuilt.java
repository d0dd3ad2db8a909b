package io.kubevirt.cib.events;

/**
 * One image exists and can be verified. {@code reused} marks an image found from an earlier attempt;
 * {@code gitCommit} (since 1.1, may be absent) names the commit of this repository it was built from;
 * {@code releaseTag} (since 1.3) the release waiting for this image, copied from build.requested.
 */
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
        String gitCommit,
        Boolean reused,
        String releaseTag,
        String causedBy,
        String replayOf) implements PipelineEvent {

    /** The 1.1 shape, without {@code releaseTag}. */
    public ImageBuilt(String schemaVersion, String buildId, Cloud cloud, String region, String project, String imageId,
            String imageName, String kubevirtVersion, String kubernetesVersion, String cdiVersion,
            Double durationSeconds, String templateDigest, String gitCommit, Boolean reused, String causedBy,
            String replayOf) {
        this(schemaVersion, buildId, cloud, region, project, imageId, imageName, kubevirtVersion, kubernetesVersion,
                cdiVersion, durationSeconds, templateDigest, gitCommit, reused, null, causedBy, replayOf);
    }

    /** The 1.0 shape, without {@code gitCommit}: writers that do not know the commit yet. */
    public ImageBuilt(String schemaVersion, String buildId, Cloud cloud, String region, String project, String imageId,
            String imageName, String kubevirtVersion, String kubernetesVersion, String cdiVersion,
            Double durationSeconds, String templateDigest, Boolean reused, String causedBy, String replayOf) {
        this(schemaVersion, buildId, cloud, region, project, imageId, imageName, kubevirtVersion, kubernetesVersion,
                cdiVersion, durationSeconds, templateDigest, null, reused, null, causedBy, replayOf);
    }

    /** This event for the release {@code tag} (null: none). */
    public ImageBuilt withReleaseTag(String tag) {
        return new ImageBuilt(schemaVersion, buildId, cloud, region, project, imageId, imageName, kubevirtVersion,
                kubernetesVersion, cdiVersion, durationSeconds, templateDigest, gitCommit, reused, tag, causedBy,
                replayOf);
    }
}
