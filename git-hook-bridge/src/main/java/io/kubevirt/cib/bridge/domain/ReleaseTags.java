package io.kubevirt.cib.bridge.domain;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which pushed tags are releases, and the KubeVirt version each names. The pattern is configuration and must have
 * a named group {@code version} (the KubeVirt version, without the leading v).
 */
public final class ReleaseTags {

    /** KubeVirt's tags (v1.9.0, pre-releases v1.9.0-rc.1) with an optional image revision (v1.9.0-2). */
    public static final String DEFAULT_PATTERN =
            "^v(?<version>[0-9]+\\.[0-9]+\\.[0-9]+(?:-(?:alpha|beta|rc)\\.[0-9]+)?)(?:-(?<revision>[0-9]+))?$";

    private final Pattern pattern;

    public ReleaseTags(String regex) {
        this.pattern = Pattern.compile(regex);
        if (!regex.contains("(?<version>")) {
            throw new IllegalArgumentException("the release tag pattern needs a named group 'version'");
        }
    }

    public Optional<ReleaseTag> parse(String tag) {
        Matcher m = pattern.matcher(tag);
        if (!m.matches()) {
            return Optional.empty();
        }
        return Optional.of(new ReleaseTag(tag, "v" + m.group("version")));
    }

    public record ReleaseTag(String tag, String kubevirtVersion) {
    }
}
