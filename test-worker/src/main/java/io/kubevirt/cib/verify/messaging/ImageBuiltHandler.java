package io.kubevirt.cib.verify.messaging;

import io.kubevirt.cib.common.messaging.PhaseHandler;
import io.kubevirt.cib.events.ImageBuilt;
import io.kubevirt.cib.verify.domain.VerificationCoordinator;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * image.built in, image.verified out. Runs on the {@code verify-pool} worker pool, whose max-concurrency bounds the
 * instances one replica has up at a time.
 */
@ApplicationScoped
public class ImageBuiltHandler {

    @Inject
    PhaseHandler phase;

    @Inject
    VerificationCoordinator coordinator;

    @Incoming("image-built")
    @Blocking("verify-pool")
    public CompletionStage<Void> onImageBuilt(Message<String> message) {
        return phase.handle(message, ImageBuilt.class, coordinator);
    }
}
