package io.kubevirt.cib.common.phase;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.events.BuildFailed;
import io.kubevirt.cib.events.BuildRequested;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventCodec;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ImageBuilt;
import io.kubevirt.cib.events.PipelineEvent;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PhaseRunnerTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-03T10:00:00Z"), ZoneOffset.UTC);
    private final EventCodec codec = new EventCodec();
    private final InMemoryPhaseLedger ledger = new InMemoryPhaseLedger();
    private final RecordingSink sink = new RecordingSink();
    private final List<String> log = new ArrayList<>();
    private final PhaseRunner runner = new PhaseRunner(ledger, sink, codec, URI.create("/cib/test"), CLOCK, 2,
            (build, line) -> log.add(build + ": " + line));

    /** Counts runs; builds one image.built per run, with the run number in it so that two runs differ. */
    private final AtomicInteger runs = new AtomicInteger();
    private final TestPhase building = new TestPhase(input -> PhaseOutcome.Emit.of(built(input, runs.incrementAndGet())));

    @Test
    void outputIdsDeriveFromTheInputAndARedeliveryIsAnsweredFromTheLedgerWithoutPublishingAgain() {
        Envelope<BuildRequested> input = request("b-1", null);

        var first = (PhaseRunner.Handled) runner.run(input, building, attempt(input));
        var again = (PhaseRunner.Handled) runner.run(input, building, attempt(input));

        assertThat(runs).hasValue(1);
        assertThat(again.repeated()).isTrue();
        assertThat(again.published()).isEqualTo(first.published());
        WireEvent event = first.published().get(0);
        assertThat(event.id()).isEqualTo(io.kubevirt.cib.events.EventIds.derived(input.id(), "image.built"));
        assertThat(event.topic()).isEqualTo("image.built");
        assertThat(event.key()).isEqualTo("b-1");
        assertThat(event.headers()).containsEntry("ce_id", event.id()).containsEntry("ce_source", "/cib/test");
        assertThat(event.value()).contains("\"causedBy\":\"" + input.id() + "\"").doesNotContain("replayOf");
        assertThat(sink.published).hasSize(1);
    }

    @Test
    void aReplayGetsNewIdsRunsAgainAndCarriesReplayOf() {
        Envelope<BuildRequested> original = request("b-1", null);
        Envelope<BuildRequested> replay = request("b-1", original.id());

        WireEvent first = ((PhaseRunner.Handled) runner.run(original, building, attempt(original))).published().get(0);
        WireEvent second = ((PhaseRunner.Handled) runner.run(replay, building, attempt(replay))).published().get(0);

        assertThat(runs).hasValue(2);
        assertThat(second.id()).isNotEqualTo(first.id());
        assertThat(second.value()).contains("\"replayOf\":\"" + original.id() + "\"");
    }

    @Test
    void anythingThePhaseThrowsBecomesItsFailureEventWithARedactedReason() {
        Envelope<BuildRequested> input = request("b-1", null);
        TestPhase throwing = new TestPhase(i -> {
            throw new IllegalArgumentException("bad host key line; AWS_SECRET_ACCESS_KEY=abcdEFGH1234abcdEFGH1234abcdEFGH12345678");
        });

        var result = (PhaseRunner.Handled) runner.run(input, throwing, attempt(input));

        WireEvent event = result.published().get(0);
        assertThat(event.topic()).isEqualTo("build.failed");
        BuildFailed failed = decode(BuildFailed.class, event);
        assertThat(failed.stage()).isEqualTo(BuildFailed.Stage.WORKER);
        assertThat(failed.reason()).contains("unexpected IllegalArgumentException").contains("bad host key line")
                .doesNotContain("abcdEFGH1234");
        assertThat(throwing.failures).extracting(Phase.Failure::kind).containsExactly(Phase.Kind.UNEXPECTED);
    }

    @Test
    void anOutcomeTheSchemaRefusesIsReportedAsAFailureEventNotAStuckRecord() {
        Envelope<BuildRequested> input = request("b-1", null);
        TestPhase invalid = new TestPhase(i -> PhaseOutcome.Emit.of(new ImageBuilt(EventType.CURRENT_VERSION, "b-1",
                Cloud.AWS, "us-west-1", null, "not an image id!", "n", "v1.8.2", "v1.35.0", "v1.64.0", 1.0, null,
                false, null, null)));

        var result = (PhaseRunner.Handled) runner.run(input, invalid, attempt(input));

        assertThat(result.published()).extracting(WireEvent::topic).containsExactly("build.failed");
        assertThat(decode(BuildFailed.class, result.published().get(0)).reason()).contains("refused by its event schema");
        assertThat(invalid.failures).extracting(Phase.Failure::kind).containsExactly(Phase.Kind.UNWRITABLE_OUTCOME);
    }

    @Test
    void anInputWhoseAttemptsKeepDyingEndsAsAFailureAfterTheCap() {
        Envelope<BuildRequested> input = request("b-1", null);
        // Two attempts started and never ended: their worker died (the cap is 2).
        ledger.record(input.id(), PhaseLedger.Entry.running(1, Set.of()));

        var result = (PhaseRunner.Handled) runner.run(input, building, attempt(input));

        assertThat(runs).hasValue(0);
        assertThat(decode(BuildFailed.class, result.published().get(0)).reason()).contains("died 2 times");
        assertThat(building.failures).extracting(Phase.Failure::kind).containsExactly(Phase.Kind.ATTEMPTS_EXHAUSTED);
    }

    @Test
    void aCancelledAttemptPublishesNothingAndDoesNotCountAsDied() {
        Envelope<BuildRequested> input = request("b-1", null);
        Attempt attempt = attempt(input);
        TestPhase cancelledMidway = new TestPhase(i -> {
            attempt.cancel("partition revoked");
            return PhaseOutcome.Emit.of(built(i, 1));
        });

        var result = runner.run(input, cancelledMidway, attempt);

        assertThat(result).isEqualTo(new PhaseRunner.Abandoned("partition revoked"));
        assertThat(sink.published).isEmpty();
        assertThat(ledger.find(input.id())).isEqualTo(PhaseLedger.Entry.released(0, Set.of()));
    }

    @Test
    void severalEventsForOneInputAllLeaveWithDistinctDerivedIds() {
        Envelope<BuildRequested> input = request("b-1", null);
        TestPhase many = new TestPhase(i -> new PhaseOutcome.Emit(List.of(
                PhaseOutcome.Output.of(built(i, 1), "us-east-1"), PhaseOutcome.Output.of(built(i, 2), "eu-west-1"))));

        var result = (PhaseRunner.Handled) runner.run(input, many, attempt(input));

        assertThat(result.published()).extracting(WireEvent::id).doesNotHaveDuplicates().containsExactly(
                io.kubevirt.cib.events.EventIds.derived(input.id(), "image.built/us-east-1"),
                io.kubevirt.cib.events.EventIds.derived(input.id(), "image.built/eu-west-1"));
    }

    @Test
    void anOutcomeThatCannotBePublishedIsKeptForTheRedelivery() {
        Envelope<BuildRequested> input = request("b-1", null);
        sink.refuse = true;

        var result = runner.run(input, building, attempt(input));
        sink.refuse = false;
        var redelivered = (PhaseRunner.Handled) runner.run(input, building, attempt(input));

        assertThat(result).isInstanceOf(PhaseRunner.Abandoned.class);
        assertThat(runs).hasValue(1);
        assertThat(redelivered.repeated()).isTrue();
        assertThat(sink.published).extracting(WireEvent::id).containsExactlyElementsOf(
                redelivered.published().stream().map(WireEvent::id).toList());
    }

    @Test
    void anOutputEmittedEarlyLeavesAtOnceAndNotAgainWithTheOutcome() {
        Envelope<BuildRequested> input = request("b-1", null);
        List<Integer> publishedWhileRunning = new ArrayList<>();
        TestPhase regions = new TestPhase((i, attempt) -> {
            PhaseOutcome.Output east = PhaseOutcome.Output.of(built(i, 1), "us-east-1");
            attempt.emitNow(east);
            publishedWhileRunning.add(sink.published.size());
            return new PhaseOutcome.Emit(List.of(east, PhaseOutcome.Output.of(built(i, 2), "eu-west-1")));
        });

        var result = (PhaseRunner.Handled) runner.run(input, regions, attempt(input));

        assertThat(publishedWhileRunning).containsExactly(1);
        assertThat(sink.published).extracting(WireEvent::id).doesNotHaveDuplicates()
                .containsExactlyElementsOf(result.published().stream().map(WireEvent::id).toList());
        // The ledger keeps the bytes that went out early, not a second encoding of the same event.
        assertThat(ledger.find(input.id()).outcome().orElseThrow()).containsExactlyElementsOf(sink.published);
        assertThat(ledger.find(input.id()).unpublished()).isEmpty();
    }

    @Test
    void anAttemptAfterACrashDoesNotPublishAgainWhatTheDeadAttemptEmittedEarly() {
        Envelope<BuildRequested> input = request("b-1", null);
        TestPhase regions = new TestPhase((i, attempt) -> {
            attempt.emitNow(PhaseOutcome.Output.of(built(i, 1), "us-east-1"));
            if (runs.incrementAndGet() == 1) {
                throw new ProcessDeath();
            }
            return new PhaseOutcome.Emit(List.of(PhaseOutcome.Output.of(built(i, 1), "us-east-1"),
                    PhaseOutcome.Output.of(built(i, 2), "eu-west-1")));
        });
        try {
            runner.run(input, regions, attempt(input));
        } catch (ProcessDeath expected) {
            // the worker "died" mid-phase: its ledger entry stays running
        }
        assertThat(ledger.find(input.id()).state()).isEqualTo(PhaseLedger.State.RUNNING);

        var result = (PhaseRunner.Handled) runner.run(input, regions, attempt(input));

        assertThat(result.published()).hasSize(2);
        assertThat(sink.published).extracting(WireEvent::id).doesNotHaveDuplicates().hasSize(2);
        assertThat(ledger.find(input.id()).died()).isZero();
    }

    @Test
    void aCancelledAttemptEmitsNothingEarly() {
        Envelope<BuildRequested> input = request("b-1", null);
        Attempt attempt = attempt(input);
        TestPhase regions = new TestPhase((i, a) -> {
            a.cancel("partition revoked");
            a.emitNow(PhaseOutcome.Output.of(built(i, 1), "us-east-1"));
            return new PhaseOutcome.Abandon("cancelled");
        });

        assertThat(runner.run(input, regions, attempt)).isInstanceOf(PhaseRunner.Abandoned.class);
        assertThat(sink.published).isEmpty();
    }

    @Test
    void anInputThatAsksNothingOfThePhaseIsAcknowledgedWithNothingPublishedAndAnsweredSoAgain() {
        Envelope<BuildRequested> input = request("b-1", null);
        TestPhase notMine = new TestPhase(i -> {
            runs.incrementAndGet();
            return new PhaseOutcome.NotForThisPhase("no release waits for it");
        });

        var first = (PhaseRunner.Handled) runner.run(input, notMine, attempt(input));
        var again = (PhaseRunner.Handled) runner.run(input, notMine, attempt(input));

        assertThat(first.published()).isEmpty();
        assertThat(again.repeated()).isTrue();
        assertThat(runs).hasValue(1);
        assertThat(sink.published).isEmpty();
    }

    /** Stands for the JVM going away: not caught by the runner as a phase failure. */
    private static final class ProcessDeath extends Error {
        private static final long serialVersionUID = 1L;
    }

    private static Attempt attempt(Envelope<?> input) {
        return Attempt.uncancellable(input.id());
    }

    private static Envelope<BuildRequested> request(String buildId, String replayOf) {
        return Envelope.create(new BuildRequested(EventType.CURRENT_VERSION, buildId, Cloud.AWS, "v1.8.2", null,
                null, "us-west-1", null, "test", null, replayOf), URI.create("/cib/test"), CLOCK);
    }

    private static ImageBuilt built(Envelope<?> input, int run) {
        return new ImageBuilt(EventType.CURRENT_VERSION, input.key(), Cloud.AWS, "us-west-1", null,
                "ami-0123456789abcdef0", "cib-" + input.key(), "v1.8.2", "v1.35.0", "v1.64.0", (double) run,
                "sha256:" + "ab".repeat(32), false, null, null);
    }

    private <T extends PipelineEvent> T decode(Class<T> type, WireEvent event) {
        try {
            return codec.decode(type, event.headers(), event.value()).data();
        } catch (io.kubevirt.cib.events.InvalidEventException e) {
            throw new AssertionError(e);
        }
    }

    private static final class TestPhase implements Phase<BuildRequested> {
        private final java.util.function.BiFunction<Envelope<BuildRequested>, Attempt, PhaseOutcome> body;
        private final List<Phase.Failure> failures = new ArrayList<>();

        TestPhase(java.util.function.Function<Envelope<BuildRequested>, PhaseOutcome> body) {
            this((input, attempt) -> body.apply(input));
        }

        TestPhase(java.util.function.BiFunction<Envelope<BuildRequested>, Attempt, PhaseOutcome> body) {
            this.body = body;
        }

        @Override
        public PhaseOutcome run(Envelope<BuildRequested> input, Attempt attempt) {
            return body.apply(input, attempt);
        }

        @Override
        public PipelineEvent failure(Envelope<BuildRequested> input, Phase.Failure failure) {
            failures.add(failure);
            return new BuildFailed(EventType.CURRENT_VERSION, input.key(), Cloud.AWS, "us-west-1", "v1.8.2", null,
                    BuildFailed.Stage.WORKER, failure.reason(), failure.retryable(), null, input.id(), null);
        }
    }

    private static final class RecordingSink implements OutcomeSink {
        /** Every event the broker got, in order. */
        private final List<WireEvent> published = new ArrayList<>();
        private volatile boolean refuse;

        @Override
        public void publish(List<WireEvent> events, Attempt attempt) throws NotPublishedException {
            if (refuse) {
                throw new NotPublishedException("broker away", null);
            }
            published.addAll(events);
        }
    }

}
