package io.kubevirt.cib.aws;

import io.kubevirt.cib.common.cloud.ImageCatalog;
import io.kubevirt.cib.common.cloud.InstanceFleet;
import io.quarkus.arc.DefaultBean;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

/**
 * Makes the EC2 adapter the workers' {@link ImageCatalog} and {@link InstanceFleet}. Both ports share one
 * {@link Ec2Cloud} (and so one client per region), which is closed when the application stops. The beans are
 * {@link DefaultBean}s, so a worker or a test can replace them by declaring its own (e.g. the in-memory fake).
 */
@Singleton
public class AwsCloudProducer {

    private final Ec2Cloud cloud;

    @Inject
    AwsCloudProducer(AwsConfig config) {
        // Cheap: the regional clients are built on first use.
        this.cloud = new Ec2Cloud(Ec2Clients.create(config.endpointOverride(), config.retry().toRetry()));
    }

    @Produces
    @ApplicationScoped
    @DefaultBean
    ImageCatalog imageCatalog() {
        return cloud;
    }

    @Produces
    @ApplicationScoped
    @DefaultBean
    InstanceFleet instanceFleet() {
        return cloud;
    }

    @PreDestroy
    void close() {
        cloud.close();
    }
}
