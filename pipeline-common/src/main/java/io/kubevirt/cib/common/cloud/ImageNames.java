package io.kubevirt.cib.common.cloud;

import java.util.Locale;

/**
 * The name the build phase gives a request's image before it can tag it: KubeVirt version, build id, a hash of the
 * build.requested id (so a replay never collides with the original). The build-worker names images with it; the
 * cleanup-worker takes an untagged image for a build's only when it has exactly this name.
 */
public final class ImageNames {

    /** GCE image names and AMI names kept to one DNS label. */
    public static final int MAX_IMAGE_NAME = 63;

    private ImageNames() {
    }

    public static String forRequest(String kubevirtVersion, String buildId, String requestId) {
        String version = kubevirtVersion.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
        String suffix = "-" + shortHash(requestId);
        String prefix = "kubevirt-" + version + "-";
        String build = buildId;
        int room = MAX_IMAGE_NAME - prefix.length() - suffix.length();
        if (build.length() > room) {
            build = build.substring(0, room).replaceAll("-+$", "");
        }
        return prefix + build + suffix;
    }

    private static String shortHash(String value) {
        return Sha256.hex(value, 4);
    }
}
