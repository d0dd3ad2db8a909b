package io.kubevirt.cib.gcp;

import io.kubevirt.cib.common.cloud.ImageDeprecation;
import io.kubevirt.cib.common.cloud.ImageExports;
import io.kubevirt.cib.common.cloud.ImageFamilies;
import io.kubevirt.cib.common.cloud.LaunchPermissions;
import io.kubevirt.cib.common.cloud.Locations;
import io.kubevirt.cib.common.cloud.TaggedResources;
import io.kubevirt.cib.common.wait.GuardedWaiter;
import io.micrometer.core.instrument.Metrics;
import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

/**
 * The sweep and publishing ports on GCP, each {@code @Identifier("gcp")} (the unqualified ports are AWS's), over one
 * set of lazily built Compute clients and one Cloud Build client. Like {@link GcpCloudProducer}: without
 * {@code cib.gcp.project} the beans exist and every call fails naming the missing property.
 */
@Singleton
public class GcpPortsProducer {

    private final GceClients clients;
    private final GceImageExports exports;
    private final GuardedWaiter waiter = new GuardedWaiter(Metrics.globalRegistry);

    @Inject
    GcpPortsProducer(GcpConfig config) {
        this.clients = GcpCloudProducer.clients(config);
        this.exports = new GceImageExports(clients, exportSettings(config), waiter);
    }

    static GceImageExports.Settings exportSettings(GcpConfig config) {
        GcpConfig.Export export = config.export();
        return new GceImageExports.Settings(export.bucket(), export.zone(), export.budget(), export.pollInitial(),
                export.pollMax(), config.cloudBuildEndpointOverride());
    }

    @Produces
    @Singleton
    @Identifier(GcpCloudProducer.GCP)
    Locations locations() {
        return new GceLocations(clients);
    }

    @Produces
    @Singleton
    @Identifier(GcpCloudProducer.GCP)
    TaggedResources taggedResources() {
        return new GceTaggedResources(clients);
    }

    @Produces
    @Singleton
    @Identifier(GcpCloudProducer.GCP)
    ImageDeprecation imageDeprecation() {
        return new GceImageDeprecation(clients);
    }

    @Produces
    @Singleton
    @Identifier(GcpCloudProducer.GCP)
    LaunchPermissions launchPermissions() {
        return new GceLaunchPermissions(clients, waiter);
    }

    @Produces
    @Singleton
    @Identifier(GcpCloudProducer.GCP)
    ImageExports imageExports() {
        return exports;
    }

    @Produces
    @Singleton
    @Identifier(GcpCloudProducer.GCP)
    ImageFamilies imageFamilies() {
        return new GceImageFamilies(clients);
    }

    @PreDestroy
    void close() {
        exports.close();
        clients.close();
    }
}
