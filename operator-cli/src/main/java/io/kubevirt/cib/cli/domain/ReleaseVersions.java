package io.kubevirt.cib.cli.domain;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The KubeVirt version a release tag names: v1.9.0-2 -> v1.9.0, v1.9.0-rc.1 -> v1.9.0-rc.1. */
public final class ReleaseVersions {

    private static final Pattern TAG = Pattern.compile(
            "^(v[0-9]+\\.[0-9]+\\.[0-9]+(?:-(?:alpha|beta|rc)\\.[0-9]+)?)(?:-[0-9]+)?$");

    private ReleaseVersions() {
    }

    public static Optional<String> kubevirtVersion(String tag) {
        Matcher m = TAG.matcher(tag);
        return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
    }
}
