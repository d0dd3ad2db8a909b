package io.kubevirt.cib.common.messaging;

import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.Phase;
import io.kubevirt.cib.common.phase.PhaseOutcome;
import io.kubevirt.cib.common.phase.PhaseRunner;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventCodec;
import io.kubevirt.cib.events.InvalidEventException;
import io.kubevirt.cib.events.PipelineEvent;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * The life of one input record in every worker: validate (or dead-letter), claim it for this replica's attempt, run
 * the phase through {@link PhaseRunner} (ledger, derived ids, failure events, publish), and only then acknowledge.
 * A record ends acknowledged (its outcome is on the broker), dead-lettered with a reason, or, only when this replica
 * let go of it (partition revoked, worker stopping), unacknowledged for the partition's next owner.
 */
@ApplicationScoped
public class PhaseHandler {

    private static final Logger LOG = Logger.getLogger(PhaseHandler.class);

    private final InboundEvents inbound;
    private final PhaseClaims claims;
    private final PhaseRunner runner;
    private final MessagingSettings settings;

    @Inject
    public PhaseHandler(InboundEvents inbound, PhaseClaims claims, KafkaPhaseLedger ledger, KafkaOutcomeSink sink,
            MessagingSettings settings) {
        this.inbound = inbound;
        this.claims = claims;
        this.settings = settings;
        this.runner = new PhaseRunner(ledger, sink, new EventCodec(), URI.create("/cib/" + settings.worker()),
                Clock.systemUTC(), settings.attemptCap(), (buildId, line) -> LOG.infof("build %s: %s", buildId, line));
    }

    public <T extends PipelineEvent> CompletionStage<Void> handle(Message<String> message, Class<T> type,
            Phase<T> phase) {
        Envelope<T> input;
        try {
            input = inbound.read(type, message);
        } catch (InvalidEventException e) {
            return inbound.reject(message, e);
        }
        LOG.infof("build %s: %s %s (from %s)%s", input.key(), input.type().typeName(), input.id(),
                InboundEvents.origin(message),
                input.data().replayOf() == null ? "" : ", a replay of " + input.data().replayOf());
        Attempt attempt = claims.begin(input.id(), 1, partition(message));
        PhaseRunner.Result result;
        try {
            result = runner.run(input, faultInjected(phase), attempt);
        } catch (RuntimeException e) {
            if (attempt.cancelled() || claims.lifetime().cancelled()) {
                // A ledger or broker wait ended because this replica let go: the next owner takes the record.
                LOG.infof("build %s: %s left unfinished: %s", input.key(), input.id(),
                        attempt.cancelled() ? attempt.cancelReason() : "worker is stopping");
                result = new PhaseRunner.Abandoned("let go");
            } else {
                // Only a bug in the life cycle itself gets here; the record still must not stop the channel.
                LOG.errorf(e, "build %s: handling %s failed outside the phase", input.key(), input.id());
                result = new PhaseRunner.Rejected("handling failed outside the phase: " + e.getClass().getSimpleName());
            }
        } finally {
            claims.end(attempt);
        }
        if (result instanceof PhaseRunner.Handled) {
            return message.ack();
        }
        if (result instanceof PhaseRunner.Rejected rejected) {
            LOG.warnf("build %s: dead-lettering %s: %s", input.key(), input.id(), rejected.reason());
            return message.nack(new IllegalStateException(rejected.reason()));
        }
        // Not acknowledged: this replica let go of the partition, whose next owner reads the record again.
        return CompletableFuture.completedFuture(null);
    }

    private static TopicPartition partition(Message<?> message) {
        return message.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(m -> new TopicPartition(m.getTopic(), m.getPartition()))
                .orElse(null);
    }

    /**
     * The test-only faults of {@link MessagingSettings#haltOnBuildId()} (the JVM dies, as in a crash) and
     * {@link MessagingSettings#throwOnBuildId()} (the phase throws), inside the recorded attempt.
     */
    private <T extends PipelineEvent> Phase<T> faultInjected(Phase<T> phase) {
        if (settings.haltOnBuildId().isEmpty() && settings.throwOnBuildId().isEmpty()) {
            return phase;
        }
        return new Phase<>() {
            @Override
            public PhaseOutcome run(Envelope<T> input, Attempt attempt) {
                if (settings.haltOnBuildId().filter(input.key()::equals).isPresent()) {
                    LOG.errorf("build %s: halting the JVM as configured (cib.messaging.halt-on-build-id)", input.key());
                    Runtime.getRuntime().halt(137);
                }
                if (settings.throwOnBuildId().filter(input.key()::equals).isPresent()) {
                    throw new IllegalStateException("fault injected by cib.messaging.throw-on-build-id");
                }
                return phase.run(input, attempt);
            }

            @Override
            public PipelineEvent failure(Envelope<T> input, Phase.Failure failure) {
                return phase.failure(input, failure);
            }
        };
    }
}
