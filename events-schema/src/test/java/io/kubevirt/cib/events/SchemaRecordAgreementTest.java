package io.kubevirt.cib.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The schema is the source of truth; the Java record must carry exactly the schema's top-level properties. */
class SchemaRecordAgreementTest {

    @ParameterizedTest
    @EnumSource(EventType.class)
    void recordComponentsMatchSchemaProperties(EventType type) throws Exception {
        JsonNode schema;
        try (InputStream in = getClass().getResourceAsStream("/schemas/" + type.typeName() + "/v1.json")) {
            schema = new ObjectMapper().readTree(in);
        }
        Set<String> schemaProperties = new HashSet<>();
        schema.get("properties").fieldNames().forEachRemaining(schemaProperties::add);
        Set<String> recordComponents = new HashSet<>(Arrays.stream(type.dataClass().getRecordComponents())
                .map(RecordComponent::getName).toList());

        assertThat(recordComponents).isEqualTo(schemaProperties);
        assertThat(schema.get("required")).allSatisfy(required ->
                assertThat(schemaProperties).contains(required.asText()));
    }
}
