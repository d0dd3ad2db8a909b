package io.kubevirt.cib.common.cloud;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Any cloud resource a sweep looks at, as the cloud reports it.
 *
 * @param location AWS region, GCP zone; null for global resources (GCP images)
 * @param createdAt when the cloud says it was made (null if it does not say)
 * @param deprecatedAt an image's deprecation time, if it has one
 */
public record CloudResource(Kind kind, String id, String name, String location, Map<String, String> tags,
        Instant createdAt, Instant deprecatedAt) {

    public CloudResource {
        tags = Map.copyOf(tags);
    }

    public Optional<String> tag(String key) {
        return Optional.ofNullable(tags.get(key));
    }

    public enum Kind {
        INSTANCE,
        IMAGE,
        SNAPSHOT,
        DISK,
        SECURITY_GROUP,
        KEY_PAIR
    }
}
