package io.kubevirt.cib.cleanup.messaging;

import io.kubevirt.cib.cleanup.domain.EventCleanup;
import io.kubevirt.cib.common.messaging.PhaseHandler;
import io.kubevirt.cib.events.ImageVerified;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

/** image.verified in, resources.cleaned out. */
@ApplicationScoped
public class ImageVerifiedHandler {

    @Inject
    PhaseHandler phase;

    @Inject
    EventCleanup cleanup;

    @Incoming("image-verified")
    @Blocking("cleanup-pool")
    public CompletionStage<Void> onImageVerified(Message<String> message) {
        return phase.handle(message, ImageVerified.class, cleanup.afterVerification());
    }
}
