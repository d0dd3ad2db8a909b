package io.kubevirt.cib.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The schema is the source of truth; each record must have its whole shape, recursively: the same property names at
 * every level (nested objects and array items too), matching JSON and Java types, enums whose wire values equal the
 * schema's enum, and no primitive (never-null) component for a property the schema leaves optional. Patterns, lengths
 * and other value constraints exist only in the schema, which the codec validates on every read and write.
 */
class SchemaRecordAgreementTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @EnumSource(EventType.class)
    void recordHasTheSchemasWholeStructure(EventType type) throws Exception {
        JsonNode schema = load("/schemas/" + type.typeName() + "/v" + newestMajor(type) + ".json");

        List<String> drift = new ArrayList<>();
        new Comparison(schema, drift).object(schema, type.dataClass(), type.typeName());

        assertThat(drift).as("drift between schema and record of " + type.typeName()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(EventType.class)
    void conditionallyRequiredPropertiesExist(EventType type) throws Exception {
        JsonNode schema = load("/schemas/" + type.typeName() + "/v" + newestMajor(type) + ".json");
        Set<String> properties = names(schema.get("properties"));

        List<String> mentioned = new ArrayList<>();
        schema.path("allOf").forEach(rule -> rule.findValues("required")
                .forEach(list -> list.forEach(name -> mentioned.add(name.asText()))));

        assertThat(properties).containsAll(mentioned);
    }

    /** The record follows the newest major version this code reads. */
    private static int newestMajor(EventType type) {
        return type.readableMajorVersions().stream().max(Integer::compare).orElseThrow();
    }

    /** The comparison itself must catch drift, or the test above proves nothing. */
    @Test
    void theComparisonSeesDriftAtEveryLevel() throws Exception {
        JsonNode schema = JSON.readTree("""
                {"type": "object", "required": ["a", "c"], "properties": {
                  "a": {"type": "string"},
                  "b": {"type": "boolean"},
                  "c": {"type": "array", "items": {"type": "object", "properties": {
                    "x": {"type": "string", "enum": ["one", "two"]},
                    "y": {"type": "integer"}}}}}}
                """);

        List<String> drift = new ArrayList<>();
        new Comparison(schema, drift).object(schema, Drifted.class, "t");

        assertThat(drift).anySatisfy(d -> assertThat(d).contains("t.b").contains("primitive"))
                .anySatisfy(d -> assertThat(d).contains("t.c[].x").contains("[one, three]"))
                .anySatisfy(d -> assertThat(d).contains("t.c[].y").contains("integer"))
                .anySatisfy(d -> assertThat(d).contains("t.c[]").contains("[z]"))
                .hasSize(4);
    }

    record Drifted(String a, boolean b, List<Item> c) {
    }

    record Item(Wire x, String y, String z) {
    }

    enum Wire {
        @JsonProperty("one") ONE,
        @JsonProperty("three") THREE
    }

    /** Walks a schema and a Java type side by side, collecting every disagreement. */
    private static final class Comparison {

        private final JsonNode root;
        private final List<String> drift;

        Comparison(JsonNode root, List<String> drift) {
            this.root = root;
            this.drift = drift;
        }

        void object(JsonNode schema, Class<?> type, String path) {
            if (!type.isRecord()) {
                drift.add(path + ": schema has an object, Java has " + type.getSimpleName());
                return;
            }
            Set<String> properties = names(schema.get("properties"));
            Set<String> components = new TreeSet<>(Arrays.stream(type.getRecordComponents())
                    .map(RecordComponent::getName).toList());
            if (!components.equals(properties)) {
                Set<String> onlyJava = new TreeSet<>(components);
                onlyJava.removeAll(properties);
                Set<String> onlySchema = new TreeSet<>(properties);
                onlySchema.removeAll(components);
                drift.add(path + ": only in the record " + onlyJava + ", only in the schema " + onlySchema);
            }
            Set<String> required = new LinkedHashSet<>();
            schema.path("required").forEach(r -> required.add(r.asText()));
            for (String name : required) {
                if (!properties.contains(name)) {
                    drift.add(path + ": required " + name + " is not a property");
                }
            }
            for (RecordComponent component : type.getRecordComponents()) {
                JsonNode property = schema.path("properties").get(component.getName());
                if (property == null) {
                    continue;
                }
                String at = path + "." + component.getName();
                if (component.getType().isPrimitive() && !required.contains(component.getName())) {
                    // A primitive reads an absent property as false/0: the schema must demand it.
                    drift.add(at + ": primitive " + component.getType() + " for an optional property");
                }
                value(property, component.getGenericType(), at);
            }
        }

        void value(JsonNode schemaNode, Type javaType, String path) {
            JsonNode schema = resolve(schemaNode, path);
            if (schema == null) {
                return;
            }
            Class<?> raw = raw(javaType);
            String jsonType = schema.path("type").asText(schema.has("properties") ? "object" : "");
            switch (jsonType) {
                case "object" -> object(schema, raw, path);
                case "array" -> {
                    if (!List.class.isAssignableFrom(raw) || !(javaType instanceof ParameterizedType list)) {
                        drift.add(path + ": schema has an array, Java has " + raw.getSimpleName());
                        return;
                    }
                    value(schema.path("items"), list.getActualTypeArguments()[0], path + "[]");
                }
                case "string" -> {
                    if (schema.has("enum")) {
                        enumeration(schema, raw, path);
                    } else if (raw != String.class) {
                        drift.add(path + ": schema has a string, Java has " + raw.getSimpleName());
                    }
                }
                case "boolean" -> expect(raw, path, jsonType, boolean.class, Boolean.class);
                case "integer" -> expect(raw, path, jsonType, int.class, Integer.class, long.class, Long.class);
                case "number" -> expect(raw, path, jsonType, double.class, Double.class);
                default -> drift.add(path + ": schema type '" + jsonType + "' is not compared; extend this test");
            }
        }

        private void enumeration(JsonNode schema, Class<?> raw, String path) {
            Set<String> schemaValues = new TreeSet<>();
            schema.get("enum").forEach(v -> schemaValues.add(v.asText()));
            if (!raw.isEnum()) {
                drift.add(path + ": schema has an enum " + schemaValues + ", Java has " + raw.getSimpleName());
                return;
            }
            Set<String> javaValues = wireValues(raw);
            if (!javaValues.equals(schemaValues)) {
                drift.add(path + ": schema enum " + schemaValues + ", Java " + raw.getSimpleName() + " " + javaValues);
            }
        }

        private void expect(Class<?> raw, String path, String jsonType, Class<?>... allowed) {
            if (!Arrays.asList(allowed).contains(raw)) {
                drift.add(path + ": schema has " + jsonType + ", Java has " + raw.getSimpleName());
            }
        }

        /** Follows {@code $ref}s, and merges {@code allOf} members' properties and requirements into one node. */
        private JsonNode resolve(JsonNode schema, String path) {
            JsonNode node = follow(schema, path);
            if (node == null || !node.has("allOf")) {
                return node;
            }
            com.fasterxml.jackson.databind.node.ObjectNode merged = node.deepCopy();
            merged.remove("allOf");
            com.fasterxml.jackson.databind.node.ObjectNode properties = merged.with("properties");
            com.fasterxml.jackson.databind.node.ArrayNode required = merged.withArray("required");
            for (JsonNode member : node.get("allOf")) {
                JsonNode resolved = resolve(member, path);
                if (resolved == null || member.has("if")) {
                    continue; // conditionals: checked by conditionallyRequiredPropertiesExist
                }
                resolved.path("properties").fields().forEachRemaining(f -> properties.set(f.getKey(), f.getValue()));
                resolved.path("required").forEach(required::add);
                if (resolved.has("type") && !merged.has("type")) {
                    merged.set("type", resolved.get("type"));
                }
            }
            return merged;
        }

        /** Follows {@code $ref} into this schema's or common.json's {@code $defs}. */
        private JsonNode follow(JsonNode schema, String path) {
            JsonNode current = schema;
            for (int hops = 0; current.has("$ref"); hops++) {
                String ref = current.get("$ref").asText();
                int hash = ref.indexOf('#');
                JsonNode document = hash == 0 ? root : loadQuietly("/schemas/" + ref.substring(0, hash)
                        .replace("../", ""));
                JsonNode target = document.at(ref.substring(hash + 1));
                if (target.isMissingNode() || hops > 10) {
                    drift.add(path + ": cannot resolve " + ref);
                    return null;
                }
                current = target;
            }
            return current;
        }
    }

    /** What Jackson writes for each constant: its @JsonProperty, else the @JsonValue method's result, else name(). */
    static Set<String> wireValues(Class<?> enumType) {
        Method jsonValue = Arrays.stream(enumType.getMethods()).filter(m -> m.isAnnotationPresent(JsonValue.class))
                .findFirst().orElse(null);
        Set<String> values = new TreeSet<>();
        for (Object constant : enumType.getEnumConstants()) {
            Enum<?> e = (Enum<?>) constant;
            try {
                JsonProperty property = enumType.getField(e.name()).getAnnotation(JsonProperty.class);
                if (property != null) {
                    values.add(property.value());
                } else if (jsonValue != null) {
                    values.add(String.valueOf(jsonValue.invoke(constant)));
                } else {
                    values.add(e.name());
                }
            } catch (ReflectiveOperationException ex) {
                throw new IllegalStateException(ex);
            }
        }
        return values;
    }

    private static Class<?> raw(Type type) {
        if (type instanceof Class<?> c) {
            return c;
        }
        if (type instanceof ParameterizedType p) {
            return (Class<?>) p.getRawType();
        }
        throw new IllegalArgumentException("unexpected type " + type);
    }

    private static Set<String> names(JsonNode properties) {
        Set<String> names = new TreeSet<>();
        if (properties != null) {
            properties.fieldNames().forEachRemaining(names::add);
        }
        return names;
    }

    private static JsonNode load(String resource) throws IOException {
        try (InputStream in = SchemaRecordAgreementTest.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("missing " + resource);
            }
            return JSON.readTree(in);
        }
    }

    private static JsonNode loadQuietly(String resource) {
        try {
            return load(resource);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
