package io.kubevirt.cib.publish.messaging;

import io.kubevirt.cib.common.messaging.PhaseHandler;
import io.kubevirt.cib.events.ImageVerified;
import io.kubevirt.cib.publish.domain.VerifiedReleaseCoordinator;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

/** image.verified in (only those carrying a release tag concern publishing), on the {@code publish-pool}. */
@ApplicationScoped
public class ImageVerifiedHandler {

    @Inject
    PhaseHandler phase;

    @Inject
    VerifiedReleaseCoordinator coordinator;

    @Incoming("image-verified")
    @Blocking("publish-pool")
    public CompletionStage<Void> onImageVerified(Message<String> message) {
        return phase.handle(message, ImageVerified.class, coordinator);
    }
}
