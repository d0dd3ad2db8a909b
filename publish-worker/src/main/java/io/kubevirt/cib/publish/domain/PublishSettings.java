package io.kubevirt.cib.publish.domain;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * How one release is published on AWS.
 *
 * @param sourceRegion where the builds' verified images live
 * @param allowRegions empty: every enabled region of the source's partition; else exactly these (each must be enabled)
 * @param denyRegions never these
 * @param copyBudget how long one region's copy may take to become available (copies take minutes to over an hour)
 * @param maxConcurrentCopies regions copied at once (EC2 allows 50 concurrent copies per destination region)
 * @param deprecateAfter deprecation time of published images, counted from publication; empty: none
 * @param gcpRegion the region named for GCP in release.published while GCP is not published by this worker
 */
public record PublishSettings(String sourceRegion, Set<String> allowRegions, Set<String> denyRegions,
        Duration copyBudget, int maxConcurrentCopies, Optional<Duration> deprecateAfter, String gcpRegion) {

    public PublishSettings {
        allowRegions = Set.copyOf(allowRegions);
        denyRegions = Set.copyOf(denyRegions);
        if (maxConcurrentCopies < 1) {
            throw new IllegalArgumentException("maxConcurrentCopies must be at least 1");
        }
    }
}
