package io.kubevirt.cib.cleanup.messaging;

import io.kubevirt.cib.cleanup.domain.SweepCoordinator;
import io.kubevirt.cib.common.messaging.PhaseHandler;
import io.kubevirt.cib.events.SweepRequested;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * sweep.requested in (a one-partition topic: its one owner runs sweeps one at a time, in order), two
 * resources.cleaned out (sweep, lifecycle).
 */
@ApplicationScoped
public class SweepRequestedHandler {

    @Inject
    PhaseHandler phase;

    @Inject
    SweepCoordinator sweep;

    @Incoming("sweep-requested")
    @Blocking("sweep-pool")
    public CompletionStage<Void> onSweepRequested(Message<String> message) {
        return phase.handle(message, SweepRequested.class, sweep);
    }
}
