package io.kubevirt.cib.cleanup.domain;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The name the build phase gives a request's image before it can tag it (build-worker {@code BuildPlan.imageName}:
 * KubeVirt version, build id, a hash of the build.requested id). Kept in step by {@code ImageNamesTest}'s known
 * value; an untagged image is only taken for a build's when it has exactly this name.
 */
public final class ImageNames {

    private static final int MAX_IMAGE_NAME = 63;

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
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
