package io.kubevirt.cib.common.messaging;

import io.kubevirt.cib.common.phase.Waiter;
import io.kubevirt.cib.common.wait.GuardedWaiter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

/** CDI producers for the plain pieces every worker shares. */
@ApplicationScoped
public class MessagingWiring {

    @Produces
    @ApplicationScoped
    Waiter waiter(MeterRegistry meters) {
        return new GuardedWaiter(meters);
    }
}
