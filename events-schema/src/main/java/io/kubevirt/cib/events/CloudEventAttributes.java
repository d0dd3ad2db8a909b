package io.kubevirt.cib.events;

import java.net.URI;
import java.time.OffsetDateTime;
import java.util.Objects;

/**
 * The CloudEvents 1.0 context attributes this pipeline uses. {@code subject} carries the build ID so that stream
 * readers can filter without parsing data.
 */
public record CloudEventAttributes(
        String id,
        URI source,
        String type,
        OffsetDateTime time,
        String subject,
        URI dataschema) {

    public static final String SPEC_VERSION = "1.0";
    public static final String CONTENT_TYPE = "application/json";

    public CloudEventAttributes {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(type, "type");
    }
}
