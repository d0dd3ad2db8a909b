package io.kubevirt.cib.build.messaging;

import io.kubevirt.cib.build.domain.BuildCoordinator;
import io.kubevirt.cib.common.messaging.EventPublisher;
import io.kubevirt.cib.common.messaging.InboundEvents;
import io.kubevirt.cib.events.BuildRequested;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.InvalidEventException;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * build.requested in, image.built or build.failed out. Runs on the {@code build-pool} worker pool, whose
 * max-concurrency bounds parallel builds per replica; the record is acknowledged only after the outcome event is on
 * the broker, so a crash at any point leads to redelivery, which the coordinator makes harmless.
 */
@ApplicationScoped
public class BuildRequestedHandler {

    private static final Logger LOG = Logger.getLogger(BuildRequestedHandler.class);

    @Inject
    InboundEvents inbound;

    @Inject
    EventPublisher publisher;

    @Inject
    BuildCoordinator coordinator;

    @Incoming("build-requested")
    @Blocking(value = "build-pool", ordered = false)
    public CompletionStage<Void> onBuildRequested(Message<String> message) {
        Envelope<BuildRequested> request;
        try {
            request = inbound.read(BuildRequested.class, message);
        } catch (InvalidEventException e) {
            return inbound.reject(message, e);
        }
        LOG.infof("build %s: request %s for %s (from %s)", request.key(), request.id(),
                request.data().cloud().wireName(), InboundEvents.origin(message));
        BuildCoordinator.Outcome outcome = coordinator.handle(request);
        if (outcome instanceof BuildCoordinator.Emit emit) {
            try {
                publisher.publish(publisher.envelope(emit.event()));
            } catch (RuntimeException e) {
                // Not acked: the request is redelivered after a restart or rebalance and finds its image by tag.
                LOG.errorf("build %s: could not publish the outcome, leaving the request unacknowledged: %s",
                        request.key(), e.getMessage());
                return CompletableFuture.completedFuture(null);
            }
            return message.ack();
        }
        LOG.infof("build %s: %s", request.key(), ((BuildCoordinator.Abandon) outcome).why());
        return CompletableFuture.completedFuture(null);
    }
}
