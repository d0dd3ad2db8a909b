package io.kubevirt.cib.gcp.testing;

import io.kubevirt.cib.common.cloud.CloudFixture;
import io.kubevirt.cib.gcp.GceClients;
import io.kubevirt.cib.gcp.GceLabels;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Seeds the {@link LocalComputeServer} for the shared port contracts, with labels encoded the way {@code GceCloud}
 * writes them. GCE images are global, so "an image in another location" has no GCP equivalent inside one project;
 * the isolation boundary is the project, and {@link #withProjectFor} sends seeds for such a location to another
 * project, which a {@code GceCloud} of the main project must never see.
 */
public final class GceFixture implements CloudFixture {

    private final LocalComputeServer server;
    private final String project;
    private final Map<String, String> projectByLocation = new HashMap<>();

    public GceFixture(LocalComputeServer server, String project) {
        this.server = server;
        this.project = project;
    }

    /** Seeds for {@code location} go to {@code otherProject}. */
    public GceFixture withProjectFor(String location, String otherProject) {
        projectByLocation.put(location, otherProject);
        return this;
    }

    /** A READY image named {@code name}; its id is the name. */
    @Override
    public String seedImage(String location, String name, Map<String, String> tags) {
        server.seedImage(projectFor(location), name, GceLabels.toLabels(tags));
        return name;
    }

    /** A RUNNING instance in zone {@code location}; its id is its name. */
    @Override
    public String seedInstance(String location, Map<String, String> tags) {
        String name = "seeded-" + UUID.randomUUID().toString().substring(0, 13);
        server.seedInstance(projectFor(location), location, name, GceLabels.toLabels(tags));
        return name;
    }

    /**
     * Clients for {@code project} on the local server, with test timing: operations polled every 10-50 ms for at
     * most 5 s (the library default would start at 0.5 s), calls retried after 20-100 ms for at most 5 s.
     */
    public static GceClients clients(LocalComputeServer server, String project) {
        return GceClients.create(project, Optional.of(server.endpointUri()), TEST_POLLING, TEST_RETRY);
    }

    public static final GceClients.OperationPolling TEST_POLLING =
            new GceClients.OperationPolling(Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofSeconds(5));
    public static final GceClients.CallRetry TEST_RETRY =
            new GceClients.CallRetry(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMillis(20),
                    Duration.ofMillis(100));

    private String projectFor(String location) {
        return projectByLocation.getOrDefault(location, project);
    }
}
