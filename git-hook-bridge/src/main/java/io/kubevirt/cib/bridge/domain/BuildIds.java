package io.kubevirt.cib.bridge.domain;

import io.kubevirt.cib.events.Cloud;
import java.util.Locale;

/** Build IDs the bridge gives; DNS-label shaped as events-schema's common.json requires. */
public final class BuildIds {

    private static final int MAX = 63;

    private BuildIds() {
    }

    /** {@code pr-<number>-<short sha>-<cloud>}: a new push to the PR is a new build, per cloud. */
    public static String pullRequest(int number, String headSha, Cloud cloud) {
        return label("pr-" + number + "-" + headSha.substring(0, 7) + "-" + cloud.wireName());
    }

    /** {@code release-v1-9-0-rc-1} for tag v1.9.0-rc.1. */
    public static String release(String tag) {
        return label("release-" + tag);
    }

    static String label(String raw) {
        String s = raw.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
        if (s.length() > MAX) {
            s = s.substring(0, MAX);
        }
        return s.replaceAll("^-+|-+$", "");
    }
}
