package io.kubevirt.cib.cleanup.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Set;

/** Typed configuration of the cleanup-worker ({@code cib.cleanup.*}); defaults in application.properties. */
@ConfigMapping(prefix = "cib.cleanup")
public interface CleanupWorkerConfig {

    /** Clouds this worker cleans; events for another cloud are answered with an empty resources.cleaned. */
    Set<String> clouds();

    /** How long a non-release build's verified image stays before the sweep removes it. */
    Duration retention();

    /** Build ids of release builds start with this; their images are never swept, only retired. */
    @WithDefault("release-")
    String releasePrefix();

    /** A packer_* security group or key pair older than this is a leftover. */
    Duration packerMaxAge();

    /** Newest releases per cloud kept untouched by the lifecycle (at least 1). */
    int keepReleases();

    /** How long a deprecated release image stays before it is deleted. */
    Duration deprecationGrace();

    /** The region DescribeRegions is asked in (any enabled region lists them all). */
    @WithDefault("us-east-1")
    String awsHomeRegion();

    Sweep sweep();

    interface Sweep {
        /** How often a sweep is requested (0: only on demand). */
        Duration interval();
    }
}
