package io.kubevirt.cib.verify.testing;

import io.kubevirt.cib.devstack.guest.StandInGuest;
import io.kubevirt.cib.gcp.testing.LocalComputeServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * Starts what stands in for a booted instance and for GCP: a {@link TcpForwarder} every verification connects to
 * (tests point it at their own {@link StandInGuest}) and a {@link LocalComputeServer}.
 */
public class StandInTestResource implements QuarkusTestResourceLifecycleManager {

    private static TcpForwarder forwarder;
    private static LocalComputeServer compute;

    @Override
    public Map<String, String> start() {
        try {
            forwarder = new TcpForwarder();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        compute = LocalComputeServer.start();
        return Map.of("cib.verify.address-override", "127.0.0.1:" + forwarder.port(),
                "cib.gcp.endpoint-override", compute.endpoint());
    }

    @Override
    public void stop() {
        try {
            forwarder.close();
        } catch (IOException ignored) {
            // shutting down
        }
        compute.close();
    }

    public static TcpForwarder forwarder() {
        return forwarder;
    }

    public static LocalComputeServer compute() {
        return compute;
    }
}
