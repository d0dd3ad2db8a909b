package io.kubevirt.cib.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventCodecTest {

    private final EventCodec codec = new EventCodec();
    private final Clock clock = Clock.fixed(Instant.parse("2026-11-24T10:00:00Z"), ZoneOffset.UTC);

    private static BuildRequested request(String buildId, String kubevirtVersion) {
        return new BuildRequested(EventType.CURRENT_VERSION, buildId, Cloud.AWS, kubevirtVersion, null, null,
                null, null, null, null, null);
    }

    @Test
    void newEventCarriesTheBuildIdAsSubjectAndKeyAndPointsAtItsSchema() {
        Envelope<BuildRequested> envelope = Envelope.create(request("b-1", "v1.8.2"), URI.create("/cib/test"), clock);

        Map<String, String> headers = codec.encodeHeaders(envelope);

        assertThat(envelope.key()).isEqualTo("b-1");
        assertThat(headers)
                .containsEntry("ce_specversion", "1.0")
                .containsEntry("ce_type", "build.requested")
                .containsEntry("ce_subject", "b-1")
                .containsEntry("ce_time", "2026-11-24T10:00Z")
                .containsEntry("content-type", "application/json")
                .containsEntry("ce_dataschema",
                        "https://kubevirt.io/cloud-image-builder/schemas/build.requested/v1.json");
    }

    @Test
    void writingAnEventThatBreaksItsOwnSchemaFailsBeforeItLeavesTheProcess() {
        assertThatThrownBy(() -> codec.encodeData(request("b-1", "latest")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("kubevirtVersion");
    }

    @Test
    void optionalFieldsAreLeftOutRatherThanWrittenAsNull() {
        assertThat(codec.encodeData(request("b-1", "v1.8.2"))).doesNotContain("null");
    }

    @Test
    void aConsumerThatExpectsOneTypeRejectsAnother() {
        Envelope<BuildRequested> envelope = Envelope.create(request("b-1", "v1.8.2"), URI.create("/cib/test"), clock);

        assertThatThrownBy(() -> codec.decode(ImageBuilt.class, codec.encodeHeaders(envelope),
                codec.encodeData(envelope.data())))
                .isInstanceOfSatisfying(InvalidEventException.class,
                        e -> assertThat(e.reason()).isEqualTo(InvalidEventException.Reason.UNEXPECTED_TYPE));
    }

    @Test
    void truncatedJsonIsMalformedAndTheMessageSaysWhere() {
        Envelope<BuildRequested> envelope = Envelope.create(request("b-1", "v1.8.2"), URI.create("/cib/test"), clock);

        assertThatThrownBy(() -> codec.decode(codec.encodeHeaders(envelope), "{\"schemaVersion\": \"1.0\", \"bu"))
                .isInstanceOfSatisfying(InvalidEventException.class, e -> {
                    assertThat(e.reason()).isEqualTo(InvalidEventException.Reason.MALFORMED);
                    assertThat(e.getMessage()).startsWith("malformed: ").contains("line 1");
                });
    }

    @Test
    void missingSchemaVersionIsAnUnknownVersion() {
        Envelope<BuildRequested> envelope = Envelope.create(request("b-1", "v1.8.2"), URI.create("/cib/test"), clock);

        assertThatThrownBy(() -> codec.decode(codec.encodeHeaders(envelope),
                "{\"buildId\": \"b-1\", \"cloud\": \"aws\", \"kubevirtVersion\": \"v1.8.2\"}"))
                .isInstanceOfSatisfying(InvalidEventException.class,
                        e -> assertThat(e.reason()).isEqualTo(InvalidEventException.Reason.UNKNOWN_VERSION));
    }

    @Test
    void schemaViolationsNameTheFieldsButDoNotEchoTheirValues() {
        Envelope<BuildRequested> envelope = Envelope.create(request("b-1", "v1.8.2"), URI.create("/cib/test"), clock);
        String secretLooking = "AKIAIOSFODNN7EXAMPLE";

        assertThatThrownBy(() -> codec.decode(codec.encodeHeaders(envelope),
                "{\"schemaVersion\": \"1.0\", \"buildId\": \"" + secretLooking
                        + "\", \"cloud\": \"aws\", \"kubevirtVersion\": \"v1.8.2\"}"))
                .isInstanceOfSatisfying(InvalidEventException.class, e -> {
                    assertThat(e.reason()).isEqualTo(InvalidEventException.Reason.SCHEMA_VIOLATION);
                    assertThat(e.getMessage()).contains("buildId").doesNotContain(secretLooking);
                });
    }
}
