package io.kubevirt.cib.publish.domain;

import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.ImageVerified;
import io.kubevirt.cib.events.ReleaseTagged;
import java.util.List;

/**
 * One release to publish, whichever event brought it: a {@code release.tagged}, or a passed verification of the build
 * that release asked for ({@code image.verified} carrying the release tag).
 *
 * @param buildId the record key of what this worker emits for it
 * @param gitCommit the commit the tag names; null accepts any
 * @param clouds the clouds it is published on
 */
public record Release(String buildId, String releaseTag, String kubevirtVersion, String gitCommit, List<Cloud> clouds,
        boolean dryRun, String replayOf) {

    /** DNS-label length of a build ID (common.json). */
    private static final int BUILD_ID_MAX = 63;

    public Release {
        clouds = List.copyOf(clouds);
    }

    public static Release of(ReleaseTagged tagged) {
        List<Cloud> clouds = tagged.clouds() == null || tagged.clouds().isEmpty() ? List.of(Cloud.values())
                : tagged.clouds();
        return new Release(tagged.buildId(), tagged.releaseTag(), tagged.kubevirtVersion(), tagged.gitCommit(), clouds,
                tagged.asksForDryRun(), tagged.replayOf());
    }

    /**
     * The release a verification was done for: that one cloud, the commit already vouched for by the build. Its
     * build ID is the release's again (see {@link #buildIdFor}), so both orders key a release's events alike.
     */
    public static Release of(ImageVerified verified) {
        String suffix = "-" + verified.cloud().wireName();
        String buildId = verified.buildId().endsWith(suffix)
                ? verified.buildId().substring(0, verified.buildId().length() - suffix.length()) : verified.buildId();
        return new Release(buildId, verified.releaseTag(), verified.kubevirtVersion(), null,
                List.of(verified.cloud()), false, verified.replayOf());
    }

    public boolean wants(Cloud cloud) {
        return clouds.contains(cloud);
    }

    /** The build this release asks for on {@code cloud} when no verified image exists: one per release and cloud. */
    public String buildIdFor(Cloud cloud) {
        String suffix = "-" + cloud.wireName();
        String base = buildId.length() + suffix.length() > BUILD_ID_MAX
                ? buildId.substring(0, BUILD_ID_MAX - suffix.length()).replaceAll("-+$", "") : buildId;
        return base + suffix;
    }
}
