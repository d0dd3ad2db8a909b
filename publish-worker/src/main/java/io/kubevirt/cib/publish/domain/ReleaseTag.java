package io.kubevirt.cib.publish.domain;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A release tag (events-schema common.json {@code releaseTag}, 1.2): the KubeVirt version, a pre-release
 * {@code -alpha|beta|rc.N} included, then an optional image revision {@code -N}. The revision is bare digits and a
 * pre-release never is, so {@code v1.9.0-1} and {@code v1.9.0-rc.1} cannot be read as each other.
 */
public record ReleaseTag(String tag, String kubevirtVersion, int revision) {

    private static final Pattern TAG = Pattern.compile(
            "^(v[0-9]+\\.[0-9]+\\.[0-9]+(?:-(?:alpha|beta|rc)\\.[0-9]+)?)(?:-([0-9]+))?$");

    public static Optional<ReleaseTag> parse(String tag) {
        Matcher m = TAG.matcher(tag == null ? "" : tag);
        if (!m.matches()) {
            return Optional.empty();
        }
        return Optional.of(new ReleaseTag(tag, m.group(1), m.group(2) == null ? 0 : Integer.parseInt(m.group(2))));
    }
}
