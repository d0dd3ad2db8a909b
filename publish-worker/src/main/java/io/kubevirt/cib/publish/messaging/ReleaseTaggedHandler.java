package io.kubevirt.cib.publish.messaging;

import io.kubevirt.cib.common.messaging.PhaseHandler;
import io.kubevirt.cib.events.ReleaseTagged;
import io.kubevirt.cib.publish.domain.PublishCoordinator;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

/** release.tagged in; image.published per region and release.published out, on the {@code publish-pool}. */
@ApplicationScoped
public class ReleaseTaggedHandler {

    @Inject
    PhaseHandler phase;

    @Inject
    PublishCoordinator coordinator;

    @Incoming("release-tagged")
    @Blocking("publish-pool")
    public CompletionStage<Void> onReleaseTagged(Message<String> message) {
        return phase.handle(message, ReleaseTagged.class, coordinator);
    }
}
