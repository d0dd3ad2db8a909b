package io.kubevirt.cib.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The JSON Schema files under {@code schemas/<type>/v<major>.json} are the single source of truth for event data;
 * this class loads them from the classpath and validates against them.
 */
public final class EventSchemas {

    public static final String BASE_URI = "https://kubevirt.io/cloud-image-builder/schemas/";

    private final SchemaRegistry registry = SchemaRegistry.withDefaultDialect(
            SpecificationVersion.DRAFT_2020_12,
            builder -> builder.schemaIdResolvers(ids -> ids.mapPrefix(BASE_URI, "classpath:schemas/")));
    private final Map<String, Schema> schemas = new ConcurrentHashMap<>();

    public static URI schemaUri(EventType type, int major) {
        return URI.create(BASE_URI + type.typeName() + "/v" + major + ".json");
    }

    /** Major version of a {@code major.minor} string; -1 when it is not one. */
    public static int majorOf(String schemaVersion) {
        if (schemaVersion == null) {
            return -1;
        }
        int dot = schemaVersion.indexOf('.');
        String major = dot < 0 ? schemaVersion : schemaVersion.substring(0, dot);
        try {
            return Integer.parseInt(major);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Violations of the type's schema for that major version, at most {@code limit}, as "path: message". */
    public List<String> violations(EventType type, int major, JsonNode data, int limit) {
        Schema schema = schemas.computeIfAbsent(type.typeName() + "/v" + major,
                k -> registry.getSchema(SchemaLocation.of(schemaUri(type, major).toString())));
        List<Error> errors = schema.validate(data);
        return errors.stream().limit(limit).map(EventSchemas::describe).toList();
    }

    private static String describe(Error error) {
        // Location plus the broken rule; the offending value itself is never echoed (it may be a pasted secret).
        return error.getInstanceLocation() + " " + error.getMessage();
    }
}
