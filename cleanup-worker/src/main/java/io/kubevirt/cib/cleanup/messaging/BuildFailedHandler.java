package io.kubevirt.cib.cleanup.messaging;

import io.kubevirt.cib.cleanup.domain.EventCleanup;
import io.kubevirt.cib.common.messaging.PhaseHandler;
import io.kubevirt.cib.events.BuildFailed;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

/** build.failed in, resources.cleaned out. */
@ApplicationScoped
public class BuildFailedHandler {

    @Inject
    PhaseHandler phase;

    @Inject
    EventCleanup cleanup;

    @Incoming("build-failed")
    @Blocking("cleanup-pool")
    public CompletionStage<Void> onBuildFailed(Message<String> message) {
        return phase.handle(message, BuildFailed.class, cleanup.afterFailedBuild());
    }
}
