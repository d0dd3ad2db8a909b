package io.kubevirt.cib.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubevirt.cib.devstack.KafkaBroker;
import io.kubevirt.cib.events.BuildRequested;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventCodec;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ImageBuilt;
import io.kubevirt.cib.events.ImageVerified;
import io.kubevirt.cib.events.PipelineEvent;
import io.kubevirt.cib.events.ReleaseTagged;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** cib against a real broker (dev-stack's in-process KRaft broker). */
class CibCliTest {

    private static String bootstrap;
    private static EventStream stream;
    private static final EventCodec CODEC = new EventCodec();
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void broker() {
        KafkaBroker broker = KafkaBroker.shared();
        bootstrap = broker.bootstrapServers();
        List<String> topics = new ArrayList<>(Topics.events());
        topics.add(EventType.BUILD_REQUESTED.deadLetterTopic());
        broker.createTopics(topics, 3);
        stream = new EventStream(bootstrap, Duration.ofSeconds(10));
    }

    private static String build() {
        return "t-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static CliRun cib(String... args) {
        String[] all = Arrays.copyOf(args, args.length + 2);
        all[args.length] = "--bootstrap";
        all[args.length + 1] = bootstrap;
        return CliRun.run(all);
    }

    /** Publishes like a worker would, at a given event time. */
    private static Envelope<PipelineEvent> emit(PipelineEvent data, Instant at) {
        Envelope<PipelineEvent> e = Envelope.create(data, URI.create("/cib/test"), Clock.fixed(at, ZoneOffset.UTC));
        stream.send(e.type().topic(), e.key(), CODEC.encodeHeaders(e), CODEC.encodeData(data));
        return e;
    }

    private static ImageBuilt built(String build, String causedBy) {
        return new ImageBuilt("1.0", build, Cloud.AWS, "us-west-1", null, "ami-0f1e2d3c4b5a69788",
                "kubevirt-v1.8.2-" + build, "v1.8.2", "v1.35.0", "v1.64.0", 40.5, null, false, causedBy, null);
    }

    private static ImageVerified verified(String build, String causedBy, ImageVerified.Outcome outcome) {
        return new ImageVerified("1.0", build, Cloud.AWS, "us-west-1", null, "ami-0f1e2d3c4b5a69788",
                "i-0123456789abcdef0", outcome, outcome == ImageVerified.Outcome.FAILED ? "vmi never ran" : null,
                List.of(new ImageVerified.Check("node-ready", ImageVerified.CheckStatus.PASSED, 1200L,
                        "node ip-10-0-0-12 Ready")),
                "v1.8.2", "v1.35.0", new ImageVerified.FoundVersions("v1.35.0", "v1.8.2", "v1.64.0"), null, null, causedBy, null);
    }

    private static BuildRequested requested(String build) {
        return new BuildRequested("1.0", build, Cloud.AWS, "v1.8.2", null, null, null, null, "test", null, null);
    }

    @Test
    void replayOfImageBuiltPublishesANewEventNamingTheOriginal() throws Exception {
        String build = build();
        Instant t0 = Instant.now().minusSeconds(60);
        var request = emit(requested(build), t0);
        var original = emit(built(build, request.id()), t0.plusSeconds(40));

        CliRun run = cib("replay", build, "image.built", "--json");

        assertThat(run.exitCode).as(run.toString()).isZero();
        JsonNode answer = JSON.readTree(run.out);
        String newId = answer.path("id").asText();
        assertThat(newId).isNotEqualTo(original.id());
        assertThat(answer.path("replayOf").asText()).isEqualTo(original.id());
        var onTopic = stream.read(List.of("image.built"), null, r -> build.equals(r.key()));
        assertThat(onTopic).hasSize(2);
        var replay = CODEC.decode(ImageBuilt.class, onTopic.get(1).headers(), onTopic.get(1).value());
        assertThat(replay.id()).isEqualTo(newId);
        assertThat(replay.data().replayOf()).isEqualTo(original.id());
        assertThat(replay.data().causedBy()).isEqualTo(request.id());
        assertThat(replay.data().imageId()).isEqualTo("ami-0f1e2d3c4b5a69788");
        assertThat(replay.attributes().source()).hasToString("/cib/operator");
        // Only the verification phase's input was republished: nothing new for the build phase.
        assertThat(stream.read(List.of("build.requested"), null, r -> build.equals(r.key()))).hasSize(1);
    }

    @Test
    void replayOfAnUnknownBuildIsNotFound() {
        CliRun run = cib("replay", build(), "image.built");
        assertThat(run.exitCode).as(run.toString()).isEqualTo(Cib.NOT_FOUND_OR_FAILED);
        assertThat(cib("replay", build(), "no.such.type").exitCode).isEqualTo(Cib.USAGE);
    }

    @Test
    void watchShowsANewEventWithinOneSecond() throws Exception {
        String build = build();
        StringWriter out = new StringWriter();
        AtomicInteger exit = new AtomicInteger(-1);
        Thread watcher = new Thread(() -> {
            var cl = Cib.commandLine();
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(new StringWriter(), true));
            exit.set(cl.execute("watch", "--json", "--build", build, "--since", "1m", "--for", "12s",
                    "--bootstrap", bootstrap));
        }, "cib-watch");
        watcher.setDaemon(true);
        watcher.start();
        // A first event proves the watch is following; the second one is timed.
        var first = emit(requested(build), Instant.now());
        awaitLine(out, first.id(), Duration.ofSeconds(15));

        var second = emit(built(build, first.id()), Instant.now());
        long sentAt = System.nanoTime();
        awaitLine(out, second.id(), Duration.ofSeconds(1));
        Duration took = Duration.ofNanos(System.nanoTime() - sentAt);

        assertThat(took).isLessThan(Duration.ofSeconds(1));
        String line = out.toString().lines().filter(l -> l.contains(second.id())).findFirst().orElseThrow();
        JsonNode row = JSON.readTree(line);
        assertThat(row.path("type").asText()).isEqualTo("image.built");
        assertThat(row.path("phases").path("build").asText()).startsWith("ok");
        assertThat(row.path("phases").path("verify").asText()).startsWith("running");
        watcher.join(20_000);
        assertThat(exit.get()).isZero();
    }

    private static void awaitLine(StringWriter out, String text, Duration timeout) throws InterruptedException {
        Instant giveUp = Instant.now().plus(timeout);
        while (!out.toString().contains(text)) {
            if (Instant.now().isAfter(giveUp)) {
                throw new AssertionError("watch did not show " + text + " within " + timeout + "; it showed:\n"
                        + out);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void statusListsABuildsEventsInOrderWithEvidence() throws Exception {
        String build = build();
        Instant t0 = Instant.now().minusSeconds(3600);
        var request = emit(requested(build), t0);
        // Published out of order across topics: status orders by event time.
        var verification = emit(verified(build, "x", ImageVerified.Outcome.PASSED), t0.plusSeconds(3000));
        var image = emit(built(build, request.id()), t0.plusSeconds(2400));

        CliRun json = cib("status", build, "--json");
        assertThat(json.exitCode).as(json.toString()).isZero();
        JsonNode events = JSON.readTree(json.out).path("events");
        assertThat(events).hasSize(3);
        assertThat(List.of(events.get(0).path("id").asText(), events.get(1).path("id").asText(),
                events.get(2).path("id").asText())).containsExactly(request.id(), image.id(), verification.id());

        CliRun human = cib("status", build);
        assertThat(human.exitCode).isZero();
        assertThat(human.out).contains("image ami-0f1e2d3c4b5a69788 in us-west-1")
                .contains("check node-ready: passed in 1s - node ip-10-0-0-12 Ready")
                .contains("found kubernetes v1.35.0, kubevirt v1.8.2, cdi v1.64.0");
        assertThat(human.out.indexOf("build.requested")).isLessThan(human.out.indexOf("image.built"));
        assertThat(human.out.indexOf("image.built")).isLessThan(human.out.indexOf("image.verified"));
    }

    @Test
    void statusExitCodesForFailedAndUnknownBuilds() {
        String build = build();
        emit(verified(build, "x", ImageVerified.Outcome.FAILED), Instant.now());
        CliRun failed = cib("status", build);
        assertThat(failed.exitCode).as(failed.toString()).isEqualTo(Cib.NOT_FOUND_OR_FAILED);
        assertThat(failed.out).contains("FAILED").contains("vmi never ran");
        assertThat(cib("status", build()).exitCode).isEqualTo(Cib.NOT_FOUND_OR_FAILED);
    }

    @Test
    void dlqListsADeadLetterWithItsReasonAndResendsItCorrected(@TempDir Path dir) throws Exception {
        String build = build();
        // What a worker's dead-letter-queue strategy writes: the original record plus dead-letter-* headers.
        Map<String, String> headers = new LinkedHashMap<>();
        String id = UUID.randomUUID().toString();
        headers.put("ce_specversion", "1.0");
        headers.put("ce_id", id);
        headers.put("ce_source", "/cib/manual");
        headers.put("ce_type", "build.requested");
        headers.put("content-type", "application/json");
        headers.put("dead-letter-reason", "schema-violation: build.requested v1: $.cloud: does not have a value in"
                + " the enumeration [aws, gcp]");
        headers.put("dead-letter-topic", "build.requested");
        headers.put("dead-letter-partition", "1");
        headers.put("dead-letter-offset", "42");
        String bad = "{\"schemaVersion\":\"1.0\",\"buildId\":\"" + build + "\",\"cloud\":\"azure\","
                + "\"kubevirtVersion\":\"v1.8.2\"}";
        var at = stream.send("build.requested.dlq", build, headers, bad);

        CliRun list = cib("dlq", "--json");
        assertThat(list.exitCode).as(list.toString()).isZero();
        JsonNode mine = null;
        for (JsonNode n : JSON.readTree(list.out)) {
            if (build.equals(n.path("key").asText())) {
                mine = n;
            }
        }
        assertThat(mine).as(list.out).isNotNull();
        assertThat(mine.path("reason").asText()).startsWith("schema-violation");
        assertThat(mine.path("originalTopic").asText()).isEqualTo("build.requested");
        assertThat(cib("dlq").out).contains(build).contains("schema-violation");

        String p = String.valueOf(at.partition());
        String o = String.valueOf(at.offset());
        CliRun stillBad = cib("dlq", "resend", "build.requested.dlq", p, o);
        assertThat(stillBad.exitCode).as(stillBad.toString()).isEqualTo(Cib.NOT_FOUND_OR_FAILED);
        assertThat(stillBad.err).contains("schema-violation");

        Path fixed = dir.resolve("fixed.json");
        Files.writeString(fixed, bad.replace("azure", "aws"));
        CliRun resent = cib("dlq", "resend", "build.requested.dlq", p, o, "--value-file", fixed.toString(), "--json");
        assertThat(resent.exitCode).as(resent.toString()).isZero();
        var back = stream.read(List.of("build.requested"), null, r -> build.equals(r.key()));
        assertThat(back).hasSize(1);
        assertThat(back.get(0).headers()).doesNotContainKey("dead-letter-reason");
        assertThat(CODEC.decode(BuildRequested.class, back.get(0).headers(), back.get(0).value()).id())
                .isEqualTo(id);
    }

    @Test
    void requestBuildAndTagReleasePublishValidatedEvents() throws Exception {
        String build = build();
        CliRun run = cib("request-build", "--cloud", "gcp", "--kubevirt-version", "v1.8.2", "--build-id", build,
                "--json");
        assertThat(run.exitCode).as(run.toString()).isZero();
        var records = stream.read(List.of("build.requested"), null, r -> build.equals(r.key()));
        assertThat(CODEC.decode(BuildRequested.class, records.get(0).headers(), records.get(0).value()).data()
                .cloud()).isEqualTo(Cloud.GCP);

        CliRun tag = cib("tag-release", "--tag", "v1.9.0-2", "--commit", "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
                "--json");
        assertThat(tag.exitCode).as(tag.toString()).isZero();
        String releaseBuild = JSON.readTree(tag.out).path("buildId").asText();
        assertThat(releaseBuild).isEqualTo("release-v1-9-0-2");
        var tagged = stream.read(List.of("release.tagged"), null, r -> releaseBuild.equals(r.key()));
        assertThat(CODEC.decode(ReleaseTagged.class, tagged.get(tagged.size() - 1).headers(),
                tagged.get(tagged.size() - 1).value()).data().kubevirtVersion()).isEqualTo("v1.9.0");

        // What the schema refuses is a usage error, and nothing is sent.
        CliRun refused = cib("request-build", "--cloud", "aws", "--kubevirt-version", "1.8", "--build-id", build);
        assertThat(refused.exitCode).as(refused.toString()).isEqualTo(Cib.USAGE);
        assertThat(refused.err).contains("kubevirtVersion");
        assertThat(stream.read(List.of("build.requested"), null, r -> build.equals(r.key()))).hasSize(1);
    }

    @Test
    void anUnreachableBrokerIsExitCodeThree() {
        CliRun run = CliRun.run("status", "x", "--bootstrap", "127.0.0.1:1", "--timeout", "1s");
        assertThat(run.exitCode).as(run.toString()).isEqualTo(Cib.UNREACHABLE);
        assertThat(CliRun.run("watch", "--since", "soon").exitCode).isEqualTo(Cib.USAGE);
    }
}
