package io.kubevirt.cib.build.domain;

import io.kubevirt.cib.common.phase.Attempt;
import java.util.List;

/** Port: bakes one image from a plan. The real one runs Packer; tests use a scripted fake. */
public interface ImageBuilder {

    /**
     * Blocks until the build ends, fails, or times out at {@link BuildPlan#deadline()}. When {@code attempt} is
     * cancelled, the build is stopped (the tool gets to clean up within its grace) and the result is
     * {@link Interrupted}.
     */
    Result build(BuildPlan plan, Attempt attempt);

    /** Digest of the templates and installer this builder bakes with, recorded on every image.built. */
    String templateDigest();

    sealed interface Result {
    }

    /** @param images one per region the image exists in; the first is the build region */
    record Built(List<BuiltImage> images) implements Result {
    }

    record Failed(String reason, boolean retryable) implements Result {
    }

    record TimedOut(String lastActivity) implements Result {
    }

    /** The attempt was cancelled (worker stopping, partition revoked); the build was stopped. */
    record Interrupted() implements Result {
    }

    record BuiltImage(String location, String imageId) {
    }
}
