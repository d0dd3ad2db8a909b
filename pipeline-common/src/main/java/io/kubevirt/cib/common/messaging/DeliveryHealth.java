package io.kubevirt.cib.common.messaging;

import io.smallrye.health.api.HealthGroup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Default;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness of the worker's own writes (outcomes, ledger): DOWN while one of them keeps failing, UP again once it
 * succeeds. Liveness is not touched: a broker outage is not cured by restarting the worker.
 */
@Default
@Readiness
// Also alone at /q/health/group/outcome-delivery: answers at once even while the broker checks time out.
@HealthGroup("outcome-delivery")
@ApplicationScoped
public class DeliveryHealth implements HealthCheck {

    private final Map<String, String> failing = new ConcurrentHashMap<>();

    public void failing(String what, String why) {
        failing.put(what, why);
    }

    public void recovered(String what) {
        failing.remove(what);
    }

    public boolean healthy() {
        return failing.isEmpty();
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("outcome-delivery").status(failing.isEmpty());
        failing.forEach(response::withData);
        return response.build();
    }
}
