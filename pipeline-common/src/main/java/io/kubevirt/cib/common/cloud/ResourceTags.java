package io.kubevirt.cib.common.cloud;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tags (AWS) or labels (GCP) every resource the pipeline creates carries, so that a redelivered event can find
 * what an earlier attempt made, and a sweep can find anything left behind. Keys are valid as both AWS tag keys and
 * GCP label keys. Values are spelled once, here, the same on both clouds as the ports see them; the GCE adapter's
 * {@code GceLabels} is the one place that maps a value onto GCE's label alphabet (reversibly), so nothing here
 * lower-cases or replaces characters for GCP's sake. Expiry is epoch seconds.
 */
public final class ResourceTags {

    public static final String BUILD_ID = "cib-build-id";
    /** The CloudEvents id of the request that created the resource: redeliveries share it, replays do not. */
    public static final String REQUEST_ID = "cib-request-id";
    public static final String PHASE = "cib-phase";
    public static final String EXPIRES_AT = "cib-expires-at";
    public static final String KUBEVIRT_VERSION = "cib-kubevirt-version";
    public static final String KUBERNETES_VERSION = "cib-kubernetes-version";
    public static final String CDI_VERSION = "cib-cdi-version";
    /** The verified marker ({@link VerifiedMarker}): the KubeVirt version the image passed for, as written. */
    public static final String VERIFIED_KUBEVIRT_VERSION = "cib-verified-kubevirt-version";
    /** Verified marker: the build whose image passed. */
    public static final String VERIFIED_BUILD_ID = "cib-verified-build-id";
    /** Verified marker: the Packer template digest the image was built from ({@link VerifiedMarker#digestValue}). */
    public static final String VERIFIED_TEMPLATE_DIGEST = "cib-verified-template-digest";
    /** Verified marker: the commit of this repository the image was built from. */
    public static final String VERIFIED_GIT_COMMIT = "cib-verified-git-commit";
    /** Verified marker: the image.built event whose verification passed ({@link #idValue}). */
    public static final String VERIFIED_BY = "cib-verified-by";
    public static final String VERIFIED_AT = "cib-verified-at";
    /** On an image: the last image.built event whose verification finished (label-safe), and how it ended. */
    public static final String LAST_VERIFICATION = "cib-last-verification";
    public static final String LAST_VERIFICATION_OUTCOME = "cib-last-verification-outcome";
    /** On a published image (source and copies): the release tag it was published for. */
    public static final String RELEASE_TAG = "cib-release-tag";
    /** On a published copy: the source image it was copied from. */
    public static final String SOURCE_IMAGE = "cib-source-image";

    private ResourceTags() {
    }

    /** The tags that identify what one request of one phase created. */
    public static Map<String, String> forRequest(String buildId, String requestId, Phase phase) {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put(BUILD_ID, buildId);
        tags.put(REQUEST_ID, requestId);
        tags.put(PHASE, phase.label());
        return tags;
    }

    public static String expiresAt(Instant expiry) {
        return Long.toString(expiry.getEpochSecond());
    }

    /** The longest value any cloud keeps (GCE labels: 63); longer values are refused by the adapters. */
    public static final int MAX_VALUE_LENGTH = 63;

    /**
     * An event id as a tag value. Ids may be 200 characters of anything; tagged resources are found again by
     * comparing this form, so it must be short and stable: lower case, {@code [a-z0-9_-]}, at most
     * {@link #MAX_VALUE_LENGTH}. (A pipeline event id, a lowercase UUID, stays as it is.)
     */
    public static String idValue(String eventId) {
        String safe = eventId.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9_-]", "-");
        return safe.length() <= MAX_VALUE_LENGTH ? safe : safe.substring(0, MAX_VALUE_LENGTH);
    }

    /** @deprecated an event id's tag form is {@link #idValue}; other values are written as they are. */
    @Deprecated
    public static String labelValue(String value) {
        return idValue(value);
    }

    public enum Phase {
        BUILD("build"),
        VERIFY("verify"),
        PUBLISH("publish");

        private final String label;

        Phase(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }
}
