package io.kubevirt.cib.common.cloud;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tags (AWS) or labels (GCP) every resource the pipeline creates carries, so that a redelivered event can find
 * what an earlier attempt made, and a sweep can find anything left behind. Keys and values are chosen to be valid as
 * both AWS tags and GCP labels: lowercase, dashes, expiry as epoch seconds.
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
    /** On an image that passed verification: the KubeVirt version it was verified for (label-safe form). */
    public static final String VERIFIED_KUBEVIRT_VERSION = "cib-verified-kubevirt-version";
    /** On a verified image: the image.built event whose verification passed (label-safe form). */
    public static final String VERIFIED_BY = "cib-verified-by";
    public static final String VERIFIED_AT = "cib-verified-at";
    /** On an image: the last image.built event whose verification finished (label-safe), and how it ended. */
    public static final String LAST_VERIFICATION = "cib-last-verification";
    public static final String LAST_VERIFICATION_OUTCOME = "cib-last-verification-outcome";

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

    /** Label-safe form of a request id: GCP label values allow at most 63 characters of [a-z0-9_-]. */
    public static String labelValue(String value) {
        String safe = value.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9_-]", "-");
        return safe.length() <= 63 ? safe : safe.substring(0, 63);
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
