package io.kubevirt.cib.build.domain;

import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.cloud.ResourceTags;
import java.util.Map;

/**
 * What to do with an image that has a request's deterministic name ({@link BuildPlan#imageName()}, which hashes the
 * request's event id). Packer 1.6.6 creates the AMI first and tags it in a later call, so a worker killed in between
 * leaves an untagged AMI; its name would make every rebuild fail ("AMI name is used by an existing AMI").
 */
final class NamedImages {

    enum Decision {
        /** Carries this request's tags: the tag lookup handles it. */
        OURS_TAGGED,
        /** Untagged and available: finished by this request's dead attempt; tag it and report it. */
        ADOPT,
        /** Untagged and not (yet) usable: remove it so the rebuild can use the name. */
        REMOVE,
        /** Carries another build's or request's tags: not ours to touch. */
        FOREIGN
    }

    private NamedImages() {
    }

    /**
     * Only an image without any pipeline identity is taken for this request's: the name (build ID plus a hash of the
     * request id) is chosen by this request alone, and lookups are limited to images this account owns.
     */
    static Decision decide(CloudImage image, BuildPlan plan) {
        Map<String, String> tags = image.tags();
        Map<String, String> ours = plan.requestTags();
        if (tags.entrySet().containsAll(ours.entrySet())) {
            return Decision.OURS_TAGGED;
        }
        if (tags.containsKey(ResourceTags.BUILD_ID) || tags.containsKey(ResourceTags.REQUEST_ID)) {
            return Decision.FOREIGN;
        }
        return image.state() == CloudImage.State.AVAILABLE ? Decision.ADOPT : Decision.REMOVE;
    }
}
