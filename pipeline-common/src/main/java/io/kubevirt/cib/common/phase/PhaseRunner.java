package io.kubevirt.cib.common.phase;

import io.kubevirt.cib.common.redact.Redactor;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventCodec;
import io.kubevirt.cib.events.EventIds;
import io.kubevirt.cib.events.PipelineEvent;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.function.BiConsumer;

/**
 * The life of one valid input in every worker, free of Kafka so that it is tested with fakes:
 * <ol>
 * <li>an input the ledger already has an outcome for gets that same outcome again (a redelivery causes nothing
 * new);</li>
 * <li>an input whose handling killed the worker {@code attemptCap} times ends as the phase's failure event;</li>
 * <li>otherwise the attempt is recorded and the phase runs; whatever it throws becomes its failure event;</li>
 * <li>the outcome's events get ids derived from the input's id, the input as {@code causedBy} and, in a replay,
 * {@code replayOf}; an event the schema refuses turns the outcome into a failure event naming the bug;</li>
 * <li>the outcome is written to the ledger, then published; only then is the input acknowledged.</li>
 * </ol>
 * A cancelled attempt (partition revoked, worker stopping) publishes nothing and leaves the input to redelivery.
 */
public final class PhaseRunner {

    private final PhaseLedger ledger;
    private final OutcomeSink sink;
    private final EventCodec codec;
    private final URI source;
    private final Clock clock;
    private final int attemptCap;
    /** (build ID, message). */
    private final BiConsumer<String, String> log;
    private final RequestLocks locks = new RequestLocks();

    public PhaseRunner(PhaseLedger ledger, OutcomeSink sink, EventCodec codec, URI source, Clock clock,
            int attemptCap, BiConsumer<String, String> log) {
        if (attemptCap < 1) {
            throw new IllegalArgumentException("attempt cap must be at least 1");
        }
        this.ledger = ledger;
        this.sink = sink;
        this.codec = codec;
        this.source = source;
        this.clock = clock;
        this.attemptCap = attemptCap;
        this.log = log;
    }

    /** What became of the input. */
    public sealed interface Result {
    }

    /** The outcome is on the broker: acknowledge the input. */
    public record Handled(List<WireEvent> published, boolean repeated) implements Result {
    }

    /** Nothing was published: leave the input unacknowledged so that it is redelivered. */
    public record Abandoned(String why) implements Result {
    }

    /** Not even a failure event could be written for this input: it belongs in the dead-letter topic. */
    public record Rejected(String reason) implements Result {
    }

    /**
     * Runs {@code phase} on {@code input}. {@code attempt} is made by the caller so that it can cancel it; its
     * number is ignored here (the ledger knows how many attempts died).
     */
    public <T extends PipelineEvent> Result run(Envelope<T> input, Phase<T> phase, Attempt attempt) {
        // Two deliveries of one input in this process: the second waits, then finds the first one's outcome.
        return locks.exclusively(input.id(), () -> runExclusively(input, phase, attempt));
    }

    private <T extends PipelineEvent> Result runExclusively(Envelope<T> input, Phase<T> phase, Attempt attempt) {
        PhaseLedger.Entry entry = ledger.find(input.id());
        if (entry.state() == PhaseLedger.State.COMPLETED) {
            List<WireEvent> missing = entry.unpublished();
            log.accept(input.key(), "input " + input.id() + " was handled before; "
                    + (missing.isEmpty() ? "its outcome is on the broker already"
                            : "publishing " + missing.size() + " of its recorded events that were not"));
            return publish(input, entry, attempt, true);
        }
        // A "running" entry that nobody here holds (the lock above) is an attempt whose worker died.
        int died = entry.died() + (entry.state() == PhaseLedger.State.RUNNING ? 1 : 0);
        Set<String> published = ConcurrentHashMap.newKeySet();
        published.addAll(entry.published());
        Map<String, WireEvent> emittedEarly = new ConcurrentHashMap<>();
        List<WireEvent> outcome;
        if (died >= attemptCap) {
            String reason = "the worker process died " + died + " times while handling input " + input.id()
                    + " (cap " + attemptCap + "); not trying again";
            log.accept(input.key(), reason);
            outcome = failureOutcome(input, phase, new Phase.Failure(Phase.Kind.ATTEMPTS_EXHAUSTED, reason, false));
        } else {
            ledger.record(input.id(), PhaseLedger.Entry.running(died, published));
            attempt.onEmitNow(output -> emitNow(input, output, attempt, died, published, emittedEarly));
            PhaseOutcome result = runGuarded(input, phase, attempt);
            attempt.onEmitNow(output -> { });
            if (result instanceof PhaseOutcome.Abandon abandon || attempt.cancelled()) {
                ledger.record(input.id(), PhaseLedger.Entry.released(died, published));
                String why = attempt.cancelled() ? attempt.cancelReason() : ((PhaseOutcome.Abandon) result).why();
                log.accept(input.key(), "attempt at " + input.id() + " ended without an outcome: " + why);
                return new Abandoned(why);
            }
            if (result instanceof PhaseOutcome.NotForThisPhase skipped) {
                log.accept(input.key(), "input " + input.id() + " is not for this phase: " + skipped.why());
                outcome = List.of();
            } else {
                outcome = encodeOrFail(input, phase, (PhaseOutcome.Emit) result);
            }
        }
        if (outcome == null) {
            return new Rejected("neither the outcome nor a failure event of " + input.type().typeName()
                    + " could be written for " + input.id());
        }
        // The ledger keeps the very bytes that went out early, so a redelivery republishes nothing different.
        outcome = outcome.stream().map(e -> emittedEarly.getOrDefault(e.id(), e)).toList();
        PhaseLedger.Entry completed = PhaseLedger.Entry.completed(outcome, published);
        ledger.record(input.id(), completed);
        return publish(input, completed, attempt, false);
    }

    /** One output published before the phase ends; recorded as published only once the broker has it. */
    private void emitNow(Envelope<?> input, PhaseOutcome.Output output, Attempt attempt, int died,
            Set<String> published, Map<String, WireEvent> emittedEarly) {
        WireEvent event;
        try {
            event = encode(input, new PhaseOutcome.Emit(List.of(output))).get(0);
        } catch (RuntimeException e) {
            // The outcome as a whole is checked again when the phase ends, and turned into a failure there.
            log.accept(input.key(), "early output " + output.name() + " refused by its schema: "
                    + Redactor.redact(String.valueOf(e.getMessage())));
            return;
        }
        emittedEarly.putIfAbsent(event.id(), event);
        if (published.contains(event.id())) {
            return;
        }
        try {
            sink.publish(List.of(emittedEarly.get(event.id())), attempt);
        } catch (OutcomeSink.NotPublishedException e) {
            return;
        }
        // One write at a time, each with everything out so far: a later write never carries less.
        synchronized (published) {
            published.add(event.id());
            ledger.record(input.id(), PhaseLedger.Entry.running(died, published));
        }
        log.accept(input.key(), "emitted " + event.topic() + " " + event.id());
    }

    private <T extends PipelineEvent> PhaseOutcome runGuarded(Envelope<T> input, Phase<T> phase, Attempt attempt) {
        try {
            return phase.run(input, attempt);
        } catch (RuntimeException | LinkageError | StackOverflowError e) {
            // Nothing a phase throws may stop the channel: it becomes the phase's failure event.
            String reason = "unexpected " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage());
            log.accept(input.key(), "phase threw while handling " + input.id() + ": " + Redactor.redact(reason));
            return PhaseOutcome.Emit.of(phase.failure(input,
                    new Phase.Failure(Phase.Kind.UNEXPECTED, Reasons.forEvent(reason), true)));
        }
    }

    private <T extends PipelineEvent> List<WireEvent> encodeOrFail(Envelope<T> input, Phase<T> phase,
            PhaseOutcome.Emit emit) {
        try {
            return encode(input, emit);
        } catch (RuntimeException e) {
            String reason = "the phase's outcome was refused by its event schema (a bug): " + e.getMessage();
            log.accept(input.key(), Redactor.redact(reason));
            return failureOutcome(input, phase,
                    new Phase.Failure(Phase.Kind.UNWRITABLE_OUTCOME, Reasons.forEvent(reason), false));
        }
    }

    /** The phase's failure event, encoded; null if even that cannot be made. */
    private <T extends PipelineEvent> List<WireEvent> failureOutcome(Envelope<T> input, Phase<T> phase,
            Phase.Failure failure) {
        try {
            return encode(input, PhaseOutcome.Emit.of(phase.failure(input, failure)));
        } catch (RuntimeException e) {
            log.accept(input.key(), "could not write a failure event for " + input.id() + ": "
                    + Redactor.redact(String.valueOf(e.getMessage())));
            return null;
        }
    }

    private List<WireEvent> encode(Envelope<?> input, PhaseOutcome.Emit emit) {
        String replayOf = input.data().replayOf();
        List<WireEvent> wire = new ArrayList<>();
        for (PhaseOutcome.Output output : emit.outputs()) {
            PipelineEvent event = codec.withLineage(output.event(), input.id(), replayOf);
            String id = EventIds.derived(input.id(), output.name());
            Envelope<PipelineEvent> envelope = Envelope.withId(id, event, source, clock);
            wire.add(new WireEvent(id, envelope.type().topic(), envelope.key(), codec.encodeHeaders(envelope),
                    codec.encodeData(event)));
        }
        return wire;
    }

    private Result publish(Envelope<?> input, PhaseLedger.Entry completed, Attempt attempt, boolean repeated) {
        List<WireEvent> missing = completed.unpublished();
        if (!missing.isEmpty()) {
            try {
                sink.publish(missing, attempt);
            } catch (OutcomeSink.NotPublishedException e) {
                // The ledger holds the outcome: the redelivery publishes exactly what is missing.
                return new Abandoned("outcome of " + input.id() + " not published: " + e.getMessage());
            }
            Set<String> all = completed.outcome().orElseThrow().stream().map(WireEvent::id)
                    .collect(Collectors.toSet());
            ledger.record(input.id(), PhaseLedger.Entry.completed(completed.outcome().orElseThrow(), all));
        }
        for (WireEvent event : missing) {
            log.accept(input.key(), "emitted " + event.topic() + " " + event.id() + (repeated ? " (again)" : ""));
        }
        return new Handled(completed.outcome().orElseThrow(), repeated);
    }
}
