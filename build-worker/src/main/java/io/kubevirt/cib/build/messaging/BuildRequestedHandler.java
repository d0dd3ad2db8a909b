package io.kubevirt.cib.build.messaging;

import io.kubevirt.cib.build.domain.BuildCoordinator;
import io.kubevirt.cib.common.messaging.PhaseHandler;
import io.kubevirt.cib.events.BuildRequested;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * build.requested in, image.built or build.failed out. Runs on the {@code build-pool} worker pool, whose
 * max-concurrency bounds parallel builds per replica.
 */
@ApplicationScoped
public class BuildRequestedHandler {

    @Inject
    PhaseHandler phase;

    @Inject
    BuildCoordinator coordinator;

    @Incoming("build-requested")
    @Blocking("build-pool")
    public CompletionStage<Void> onBuildRequested(Message<String> message) {
        return phase.handle(message, BuildRequested.class, coordinator);
    }
}
