package io.kubevirt.cib.cleanup.domain;

import java.time.Duration;

/**
 * What the cleanup decides by.
 *
 * @param retention how long a non-release build's verified image stays (for inspection) before the sweep removes it
 * @param releasePrefix build ids of release builds start with it; their images are never swept, only retired
 * @param packerMaxAge a {@code packer_*} group or key pair older than this is a leftover (builds take under 2 h)
 * @param keepReleases newest releases per cloud that stay untouched (at least 1)
 * @param deprecationGrace how long a deprecated release stays before it is deleted
 */
public record CleanupSettings(Duration retention, String releasePrefix, Duration packerMaxAge, int keepReleases,
        Duration deprecationGrace) {

    public CleanupSettings {
        if (keepReleases < 1) {
            throw new IllegalArgumentException("keep-releases must be at least 1: the newest is never deprecated");
        }
    }

    public boolean isRelease(String buildId) {
        return buildId != null && buildId.startsWith(releasePrefix);
    }
}
