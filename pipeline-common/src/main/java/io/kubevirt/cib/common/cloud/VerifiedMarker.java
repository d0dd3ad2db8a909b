package io.kubevirt.cib.common.cloud;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The tags on an image that passed verification, which the publish phase trusts: which build, KubeVirt version,
 * Packer template and commit the passed image came from, and which image.built event's verification passed. The
 * test-worker writes it with {@link #tags()}; a publisher reads it with {@link #read} and asks {@link #vouchesFor}, so
 * both go through the same spelling. A failed verification of the image removes it ({@link #KEYS}).
 *
 * @param templateDigest {@code sha256:<hex>} as in image.built, or null when the build did not report it
 * @param gitCommit null when the build did not report it
 * @param verifiedBy the image.built event id
 */
public record VerifiedMarker(String buildId, String kubevirtVersion, String templateDigest, String gitCommit,
        String verifiedBy, Instant verifiedAt) {

    /** Every key of the marker, e.g. to remove all of it. */
    public static final List<String> KEYS = List.of(ResourceTags.VERIFIED_BUILD_ID,
            ResourceTags.VERIFIED_KUBEVIRT_VERSION, ResourceTags.VERIFIED_TEMPLATE_DIGEST,
            ResourceTags.VERIFIED_GIT_COMMIT, ResourceTags.VERIFIED_BY, ResourceTags.VERIFIED_AT);

    /** Hex digits of the template digest kept: 192 bits; the whole digest is one character too long for GCE. */
    private static final int DIGEST_HEX_KEPT = 48;

    public VerifiedMarker {
        Objects.requireNonNull(buildId, "buildId");
        Objects.requireNonNull(kubevirtVersion, "kubevirtVersion");
        Objects.requireNonNull(verifiedBy, "verifiedBy");
        Objects.requireNonNull(verifiedAt, "verifiedAt");
    }

    /**
     * The tags to write. Keys of absent parts (no digest, no commit) are left out: write them after removing
     * {@link #KEYS}, so that no part of an older marker survives.
     */
    public Map<String, String> tags() {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put(ResourceTags.VERIFIED_BUILD_ID, buildId);
        tags.put(ResourceTags.VERIFIED_KUBEVIRT_VERSION, kubevirtVersion);
        if (templateDigest != null) {
            tags.put(ResourceTags.VERIFIED_TEMPLATE_DIGEST, digestValue(templateDigest));
        }
        if (gitCommit != null) {
            tags.put(ResourceTags.VERIFIED_GIT_COMMIT, gitCommit.toLowerCase(Locale.ROOT));
        }
        tags.put(ResourceTags.VERIFIED_BY, ResourceTags.idValue(verifiedBy));
        tags.put(ResourceTags.VERIFIED_AT, ResourceTags.expiresAt(verifiedAt));
        return tags;
    }

    /**
     * The marker on an image, if it carries a whole one. The digest comes back in its tag form (see
     * {@link #digestValue}), the event id in its {@link ResourceTags#idValue} form.
     */
    public static Optional<VerifiedMarker> read(Map<String, String> tags) {
        String build = tags.get(ResourceTags.VERIFIED_BUILD_ID);
        String version = tags.get(ResourceTags.VERIFIED_KUBEVIRT_VERSION);
        String by = tags.get(ResourceTags.VERIFIED_BY);
        String at = tags.get(ResourceTags.VERIFIED_AT);
        if (build == null || version == null || by == null || at == null || !at.matches("[0-9]{1,19}")) {
            return Optional.empty();
        }
        return Optional.of(new VerifiedMarker(build, version, tags.get(ResourceTags.VERIFIED_TEMPLATE_DIGEST),
                tags.get(ResourceTags.VERIFIED_GIT_COMMIT), by, Instant.ofEpochSecond(Long.parseLong(at))));
    }

    /**
     * Whether this marker says that the image of {@code buildId} passed for exactly this KubeVirt version, template
     * and commit. An unknown digest or commit (null) matches only a marker without one.
     */
    public boolean vouchesFor(String build, String version, String digest, String commit) {
        return buildId.equals(build) && kubevirtVersion.equals(version)
                && Objects.equals(tagForm(templateDigest), digest == null ? null : digestValue(digest))
                && Objects.equals(gitCommit == null ? null : gitCommit.toLowerCase(Locale.ROOT),
                        commit == null ? null : commit.toLowerCase(Locale.ROOT));
    }

    /** A template digest as the marker spells it: {@code sha256-} and the first 48 hex digits. */
    public static String digestValue(String digest) {
        String hex = digest.toLowerCase(Locale.ROOT).replaceFirst("^sha256[:-]", "");
        if (!hex.matches("[0-9a-f]+")) {
            throw new IllegalArgumentException("not a sha256 digest");
        }
        return "sha256-" + (hex.length() <= DIGEST_HEX_KEPT ? hex : hex.substring(0, DIGEST_HEX_KEPT));
    }

    /** A marker read back already holds the tag form; one made from an event holds the full digest. */
    private static String tagForm(String digest) {
        return digest == null ? null : digestValue(digest);
    }
}
