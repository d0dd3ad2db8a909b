package io.kubevirt.cib.events;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The outcome of booting an image and running a VM on it, with each check's evidence. On a failure (since 1.1)
 * {@code retryable} and {@code failureKind} say whether the image is to blame or running again could pass.
 * {@code releaseTag} (since 1.3) is the release waiting for this image, copied from image.built.
 */
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
        Boolean retryable,
        FailureKind failureKind,
        String releaseTag,
        String causedBy,
        String replayOf) implements PipelineEvent {

    /** The 1.1 shape, without {@code releaseTag}. */
    public ImageVerified(String schemaVersion, String buildId, Cloud cloud, String region, String project,
            String imageId, String instanceId, Outcome outcome, String reason, List<Check> checks,
            String kubevirtVersion, String kubernetesVersion, FoundVersions foundVersions, Boolean retryable,
            FailureKind failureKind, String causedBy, String replayOf) {
        this(schemaVersion, buildId, cloud, region, project, imageId, instanceId, outcome, reason, checks,
                kubevirtVersion, kubernetesVersion, foundVersions, retryable, failureKind, null, causedBy, replayOf);
    }

    /** This event for the release {@code tag} (null: none). */
    public ImageVerified withReleaseTag(String tag) {
        return new ImageVerified(schemaVersion, buildId, cloud, region, project, imageId, instanceId, outcome, reason,
                checks, kubevirtVersion, kubernetesVersion, foundVersions, retryable, failureKind, tag, causedBy,
                replayOf);
    }

    public enum Outcome {
        @JsonProperty("passed") PASSED,
        @JsonProperty("failed") FAILED
    }

    /** Whose fault a failure was. */
    public enum FailureKind {
        /** The image failed a check, or cannot be verified as given (missing, wrong host key): do not publish it. */
        @JsonProperty("image") IMAGE,
        /** Throttling, no capacity, SSH budget spent, cleanup not confirmed: verifying again may pass. */
        @JsonProperty("transient") TRANSIENT,
        /** The worker itself failed: an unexpected error, the attempt cap, its configuration. */
        @JsonProperty("worker") WORKER
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
