package io.kubevirt.cib.events;

import java.util.List;

/**
 * A release tag was pushed; {@code clouds} empty or absent means every cloud. {@code dryRun} (1.2, null = false):
 * publish nothing, emit the plan.
 */
public record ReleaseTagged(
        String schemaVersion,
        String buildId,
        String releaseTag,
        String kubevirtVersion,
        List<Cloud> clouds,
        String gitCommit,
        String causedBy,
        String replayOf,
        Boolean dryRun) implements PipelineEvent {

    /** A release that is not a dry run (the 1.0/1.1 shape). */
    public ReleaseTagged(String schemaVersion, String buildId, String releaseTag, String kubevirtVersion,
            List<Cloud> clouds, String gitCommit, String causedBy, String replayOf) {
        this(schemaVersion, buildId, releaseTag, kubevirtVersion, clouds, gitCommit, causedBy, replayOf, null);
    }

    public boolean asksForDryRun() {
        return Boolean.TRUE.equals(dryRun);
    }
}
