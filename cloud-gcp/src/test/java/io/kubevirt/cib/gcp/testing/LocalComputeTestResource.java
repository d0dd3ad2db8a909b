package io.kubevirt.cib.gcp.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * {@code @QuarkusTestResource(LocalComputeTestResource.class)}: a {@link LocalComputeServer} for the application
 * under test, which gets {@code cib.gcp.project} ({@link #PROJECT}), {@code cib.gcp.endpoint-override} and
 * {@code cib.gcp.cloud-build-endpoint-override} pointing at it. A test reaches it through a field of type
 * {@link LocalComputeServer}.
 */
public class LocalComputeTestResource implements QuarkusTestResourceLifecycleManager {

    public static final String PROJECT = "cib-test-project";

    private LocalComputeServer server;

    @Override
    public Map<String, String> start() {
        server = LocalComputeServer.start();
        return Map.of("cib.gcp.project", PROJECT,
                "cib.gcp.endpoint-override", server.endpoint(),
                "cib.gcp.cloud-build-endpoint-override", server.endpoint(),
                "cib.gcp.operation-timeout", "10s",
                "cib.gcp.call-timeout", "10s");
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(server, new TestInjector.MatchesType(LocalComputeServer.class));
    }

    @Override
    public void stop() {
        if (server != null) {
            server.close();
        }
    }
}
