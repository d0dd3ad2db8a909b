package io.kubevirt.cib.build.domain;

import java.util.List;

/** Port: bakes one image from a plan. The real one runs Packer; tests use a scripted fake. */
public interface ImageBuilder {

    /** Blocks until the build ends, fails, times out at {@link BuildPlan#deadline()}, or the worker shuts down. */
    Result build(BuildPlan plan);

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

    /** The worker is stopping; the build was interrupted and cleaned up, and the request must be redelivered. */
    record Interrupted() implements Result {
    }

    record BuiltImage(String location, String imageId) {
    }
}
