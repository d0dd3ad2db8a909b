package io.kubevirt.cib.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubevirt.cib.devstack.KafkaBroker;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventCodec;
import io.kubevirt.cib.events.EventIds;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ResourcesCleaned;
import io.kubevirt.cib.events.ResourcesCleaned.Action;
import io.kubevirt.cib.events.ResourcesCleaned.Kind;
import io.kubevirt.cib.events.ResourcesCleaned.Resource;
import io.kubevirt.cib.events.ResourcesCleaned.Result;
import io.kubevirt.cib.events.ResourcesCleaned.Trigger;
import io.kubevirt.cib.events.SweepRequested;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code cib sweep} against a real broker. The cleanup-worker's side is played by publishing, on the real topic,
 * what its PhaseRunner publishes for a sweep request: two resources.cleaned (sweep, lifecycle) whose ids derive from
 * the request's id, or one failure event.
 */
class CibSweepTest {

    private static final EventCodec CODEC = new EventCodec();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CLEANED = EventType.RESOURCES_CLEANED.topic();
    private static String bootstrap;
    private static EventStream stream;

    @BeforeAll
    static void broker() {
        KafkaBroker broker = KafkaBroker.shared();
        bootstrap = broker.bootstrapServers();
        broker.createTopics(List.of(EventType.SWEEP_REQUESTED.topic()), 1);
        broker.createTopics(List.of(CLEANED), 3);
        stream = new EventStream(bootstrap, Duration.ofSeconds(10));
    }

    @Test
    void aDryRunWithWaitPrintsTheAnswerToThisRequestOnly() throws Exception {
        String run = run();
        // An answer to an earlier request with the same run id must not be taken for this one's.
        Envelope<SweepRequested> earlier = Envelope.create(new SweepRequested("1.2", run, true, "me", null, null),
                URI.create("/cib/test"), Clock.systemUTC());
        answer(earlier, List.of(resource("ami-0000000000000000e", Result.PLANNED)), List.of());

        CompletableFuture<CliRun> cli = CompletableFuture.supplyAsync(() -> cib("sweep", "--dry-run", "--run-id",
                run, "--requested-by", "tester", "--wait", "30s", "--json"));
        Envelope<SweepRequested> request = awaitRequest(run, 1);
        assertThat(request.data().dryRun()).isTrue();
        assertThat(request.data().requestedBy()).isEqualTo("tester");
        assertThat(request.attributes().source()).hasToString("/cib/operator");
        answer(request, List.of(resource("i-0123456789abcdef0", Result.PLANNED),
                resource("ami-0123456789abcdef0", Result.PLANNED)), List.of());

        CliRun done = cli.get(40, TimeUnit.SECONDS);
        assertThat(done.exitCode).as(done.toString()).isZero();
        String[] lines = done.out.split("\n");
        JsonNode published = JSON.readTree(lines[0]);
        assertThat(published.path("id").asText()).isEqualTo(request.id());
        JsonNode result = JSON.readTree(lines[lines.length - 1]);
        assertThat(result.path("answered").asBoolean()).isTrue();
        assertThat(result.path("failed").asBoolean()).isFalse();
        assertThat(result.path("events")).hasSize(2);
        assertThat(result.toString()).contains("i-0123456789abcdef0", "ami-0123456789abcdef0")
                .doesNotContain("ami-0000000000000000e");
    }

    @Test
    void aResourceThatCouldNotBeRemovedOrAFailedSweepIsExitOne() throws Exception {
        String run = run();
        CompletableFuture<CliRun> cli = CompletableFuture.supplyAsync(() -> cib("sweep", "--run-id", run, "--wait",
                "30s"));
        Envelope<SweepRequested> request = awaitRequest(run, 1);
        assertThat(request.data().dryRun()).isFalse();
        answer(request, List.of(resource("i-0123456789abcdef0", Result.DONE),
                resource("snap-0123456789abcdef0", Result.FAILED)), List.of());
        CliRun done = cli.get(40, TimeUnit.SECONDS);
        assertThat(done.exitCode).as(done.toString()).isEqualTo(Cib.NOT_FOUND_OR_FAILED);
        assertThat(done.out).contains("2 resource(s), 1 failed").contains("done terminate aws INSTANCE i-0123456789abcdef0")
                .contains("failed delete aws SNAPSHOT snap-0123456789abcdef0");

        String failing = run();
        cli = CompletableFuture.supplyAsync(() -> cib("sweep", "--run-id", failing, "--wait", "30s"));
        Envelope<SweepRequested> second = awaitRequest(failing, 1);
        emit(EventIds.derived(second.id(), CLEANED), cleaned(second, Trigger.SWEEP, List.of()));
        done = cli.get(40, TimeUnit.SECONDS);
        assertThat(done.exitCode).as(done.toString()).isEqualTo(Cib.NOT_FOUND_OR_FAILED);
        assertThat(done.err).contains("sweep " + failing + " failed in the cleanup-worker");
    }

    @Test
    void withoutWaitItOnlyPublishesAndWithoutAnAnswerItGivesUp() throws Exception {
        String run = run();
        CliRun published = cib("sweep", "--run-id", run);
        assertThat(published.exitCode).as(published.toString()).isZero();
        assertThat(published.out).contains("published sweep.requested");
        assertThat(awaitRequest(run, 1).data().dryRun()).isFalse();

        String unanswered = run();
        CliRun waited = cib("sweep", "--run-id", unanswered, "--wait", "2s");
        assertThat(waited.exitCode).as(waited.toString()).isEqualTo(Cib.NOT_FOUND_OR_FAILED);
        assertThat(waited.err).contains("no complete answer to sweep " + unanswered);

        // The schema refuses the run id: a usage error, and nothing is sent.
        CliRun refused = cib("sweep", "--run-id", "Not A Label");
        assertThat(refused.exitCode).as(refused.toString()).isEqualTo(Cib.USAGE);
        assertThat(stream.read(List.of(EventType.SWEEP_REQUESTED.topic()), null, r -> "Not A Label".equals(r.key())))
                .isEmpty();
    }

    private static String run() {
        return "sweep-t-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static CliRun cib(String... args) {
        String[] all = Arrays.copyOf(args, args.length + 2);
        all[args.length] = "--bootstrap";
        all[args.length + 1] = bootstrap;
        return CliRun.run(all);
    }

    private static Envelope<SweepRequested> awaitRequest(String run, int count) throws Exception {
        Instant giveUp = Instant.now().plusSeconds(30);
        while (Instant.now().isBefore(giveUp)) {
            var records = stream.read(List.of(EventType.SWEEP_REQUESTED.topic()), null, r -> run.equals(r.key()));
            if (records.size() >= count) {
                var r = records.get(count - 1);
                return CODEC.decode(SweepRequested.class, r.headers(), r.value());
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no sweep.requested for " + run);
    }

    /** What the worker publishes for a handled request: the sweep's and the lifecycle's events, derived ids. */
    private static void answer(Envelope<SweepRequested> request, List<Resource> swept, List<Resource> retired) {
        emit(EventIds.derived(request.id(), CLEANED + "/sweep"), cleaned(request, Trigger.SWEEP, swept));
        emit(EventIds.derived(request.id(), CLEANED + "/lifecycle"), cleaned(request, Trigger.LIFECYCLE, retired));
    }

    private static ResourcesCleaned cleaned(Envelope<SweepRequested> request, Trigger trigger,
            List<Resource> resources) {
        return new ResourcesCleaned(ResourcesCleaned.CURRENT_VERSION, request.data().buildId(), trigger,
                request.data().dryRun(), new ArrayList<>(resources), request.id(), null);
    }

    private static void emit(String id, ResourcesCleaned data) {
        Envelope<ResourcesCleaned> e = Envelope.withId(id, data, URI.create("/cib/cleanup-worker"),
                Clock.systemUTC());
        stream.send(CLEANED, e.key(), CODEC.encodeHeaders(e), CODEC.encodeData(data));
    }

    private static Resource resource(String id, Result result) {
        Kind kind = id.startsWith("i-") ? Kind.INSTANCE : id.startsWith("snap-") ? Kind.SNAPSHOT : Kind.IMAGE;
        return new Resource(Cloud.AWS, kind, id, null, "us-west-1", null, "pr-1-build-1",
                kind == Kind.INSTANCE ? Action.TERMINATE : Action.DELETE, result, "cib-expires-at has passed",
                result == Result.FAILED ? "UnauthorizedOperation" : null);
    }
}
