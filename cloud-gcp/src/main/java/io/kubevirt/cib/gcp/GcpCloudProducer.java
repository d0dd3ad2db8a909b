package io.kubevirt.cib.gcp;

import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * Makes the GCE adapter available as {@code @Identifier("gcp") GceCloud} (also injectable as
 * {@code @Identifier("gcp") ImageCatalog} / {@code InstanceFleet}). Deliberately qualified only: the AWS adapter
 * provides the unqualified default ports, and a worker picks GCP explicitly.
 *
 * <p>Lazy twice: the bean is created when first injected, and the clients inside on first call. Without
 * {@code cib.gcp.project} the bean still exists and every call fails with a non-retryable CloudException naming the
 * missing property, so a worker that never touches GCP starts without GCP configuration or credentials.
 */
@Singleton
public class GcpCloudProducer {

    /** The qualifier value: {@code @Identifier(GcpCloudProducer.GCP)}. */
    public static final String GCP = "gcp";

    @Produces
    @Singleton
    @Identifier(GCP)
    GceCloud gceCloud(GcpConfig config) {
        return new GceCloud(clients(config), config.externalIp());
    }

    void close(@Disposes @Identifier(GCP) GceCloud cloud) {
        cloud.close();
    }

    static GceClients clients(GcpConfig config) {
        GceClients.OperationPolling polling = GceClients.OperationPolling.withTimeout(config.operationTimeout());
        GceClients.CallRetry retry = GceClients.CallRetry.withTotalTimeout(config.callTimeout());
        return config.project()
                .filter(project -> !project.isBlank())
                .map(project -> GceClients.create(project, config.endpointOverride(), polling, retry))
                .orElseGet(() -> GceClients.unconfigured(
                        "GCP is not configured: set cib.gcp.project (env CIB_GCP_PROJECT)",
                        config.endpointOverride(), polling, retry));
    }
}
