package io.kubevirt.cib.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The checked-in samples are the compatibility promise: every sample of every type and version must still parse
 * and validate, so a schema or record change that breaks events already on the stream fails the build.
 */
class SamplesTest {

    private static final EventCodec CODEC = new EventCodec();

    static Path samplesRoot() {
        try {
            return Path.of(SamplesTest.class.getResource("/samples").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Stream<Path> validSamples() throws IOException {
        return sampleFiles().filter(p -> !p.startsWith(samplesRoot().resolve("invalid")));
    }

    static Stream<Path> invalidSamples() throws IOException {
        return sampleFiles().filter(p -> p.startsWith(samplesRoot().resolve("invalid")));
    }

    private static Stream<Path> sampleFiles() throws IOException {
        try (Stream<Path> files = Files.walk(samplesRoot())) {
            return files.filter(p -> p.toString().endsWith(".json")).sorted().toList().stream();
        }
    }

    @ParameterizedTest
    @MethodSource("validSamples")
    void sampleDecodesAsTheTypeAndVersionItIsFiledUnder(Path sample) throws Exception {
        String typeDir = sample.getParent().getParent().getFileName().toString();
        String versionDir = sample.getParent().getFileName().toString();

        Envelope<PipelineEvent> envelope = decode(sample);

        assertThat(envelope.type().typeName()).isEqualTo(typeDir);
        assertThat("v" + envelope.data().schemaVersion()).isEqualTo(versionDir);
        assertThat(envelope.data().buildId()).isNotBlank();
    }

    @ParameterizedTest
    @MethodSource("validSamples")
    void sampleSurvivesAWriteAndReadRoundTrip(Path sample) throws Exception {
        Envelope<PipelineEvent> original = decode(sample);

        String written = CODEC.encodeData(original.data());
        Envelope<PipelineEvent> reread = CODEC.decode(CODEC.encodeHeaders(original), written);

        assertThat(reread.data()).isEqualTo(original.data());
        assertThat(reread.attributes()).isEqualTo(original.attributes());
    }

    @ParameterizedTest
    @MethodSource("invalidSamples")
    void invalidSampleIsRejectedForTheReasonItIsNamedAfter(Path sample) throws Exception {
        String expected = sample.getFileName().toString().replace(".json", "").toUpperCase().replace('-', '_');
        StructuredCloudEvent event = StructuredCloudEvent.parse(Files.readString(sample, StandardCharsets.UTF_8));

        assertThatThrownBy(() -> CODEC.decode(event.headers(), event.data()))
                .isInstanceOfSatisfying(InvalidEventException.class,
                        e -> assertThat(e.reason()).isEqualTo(InvalidEventException.Reason.valueOf(expected)));
    }

    @Test
    void everyTypeHasASampleForEveryReadableMajorVersion() throws IOException {
        for (EventType type : EventType.values()) {
            for (int major : type.readableMajorVersions()) {
                Path typeDir = samplesRoot().resolve(type.typeName());
                List<Path> samples;
                try (Stream<Path> files = Files.walk(typeDir)) {
                    samples = files.filter(p -> p.toString().endsWith(".json"))
                            .filter(p -> p.getParent().getFileName().toString().startsWith("v" + major + "."))
                            .toList();
                }
                assertThat(samples).as("samples of %s v%d", type.typeName(), major).isNotEmpty();
            }
        }
    }

    private static Envelope<PipelineEvent> decode(Path sample) throws Exception {
        StructuredCloudEvent event = StructuredCloudEvent.parse(Files.readString(sample, StandardCharsets.UTF_8));
        return CODEC.decode(event.headers(), event.data());
    }
}
