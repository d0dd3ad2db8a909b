package io.kubevirt.cib.common.messaging;

import io.kubevirt.cib.common.phase.PhaseOutcome;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.InvalidEventException;
import io.kubevirt.cib.events.PipelineEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * The life of one input record in every worker: validate (or dead-letter), run the phase, publish its outcome, and
 * only then acknowledge. A crash anywhere before the ack leads to redelivery, which the phases make harmless.
 */
@ApplicationScoped
public class PhaseHandler {

    private static final Logger LOG = Logger.getLogger(PhaseHandler.class);

    @Inject
    InboundEvents inbound;

    @Inject
    EventPublisher publisher;

    public <T extends PipelineEvent> CompletionStage<Void> handle(Message<String> message, Class<T> type,
            Function<Envelope<T>, PhaseOutcome> phase) {
        Envelope<T> input;
        try {
            input = inbound.read(type, message);
        } catch (InvalidEventException e) {
            return inbound.reject(message, e);
        }
        LOG.infof("build %s: %s %s (from %s)", input.key(), input.type().typeName(), input.id(),
                InboundEvents.origin(message));
        PhaseOutcome outcome = phase.apply(input);
        if (outcome instanceof PhaseOutcome.Emit emit) {
            try {
                publisher.publish(publisher.envelope(emit.event()));
            } catch (RuntimeException e) {
                // Not acked: redelivered after a restart or rebalance, and the phase finds its earlier work by tags.
                LOG.errorf("build %s: could not publish the outcome, leaving %s unacknowledged: %s", input.key(),
                        input.id(), e.getMessage());
                return CompletableFuture.completedFuture(null);
            }
            return message.ack();
        }
        LOG.infof("build %s: %s", input.key(), ((PhaseOutcome.Abandon) outcome).why());
        return CompletableFuture.completedFuture(null);
    }
}
