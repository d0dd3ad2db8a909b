package io.kubevirt.cib.cleanup.config;

import io.kubevirt.cib.aws.AwsConfig;
import io.kubevirt.cib.aws.Ec2Clients;
import io.kubevirt.cib.aws.Ec2Cloud;
import io.kubevirt.cib.aws.Ec2ImageDeprecation;
import io.kubevirt.cib.aws.Ec2Locations;
import io.kubevirt.cib.aws.Ec2PackerTemporaries;
import io.kubevirt.cib.aws.Ec2TaggedResources;
import io.kubevirt.cib.cleanup.domain.CleanupSettings;
import io.kubevirt.cib.cleanup.domain.CloudPorts;
import io.kubevirt.cib.cleanup.domain.EventCleanup;
import io.kubevirt.cib.cleanup.domain.SweepCoordinator;
import io.kubevirt.cib.common.cloud.ImageDeprecation;
import io.kubevirt.cib.common.cloud.Locations;
import io.kubevirt.cib.common.cloud.TaggedResources;
import io.kubevirt.cib.common.metrics.MeteredCloud;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.gcp.GceCloud;
import io.kubevirt.cib.gcp.GcpCloudProducer;
import io.kubevirt.cib.gcp.GcpConfig;
import io.smallrye.common.annotation.Identifier;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/** Assembles the plain-Java cleanup from configuration and the cloud adapters (singletons: the classes are final). */
@ApplicationScoped
public class CleanupWiring {

    private static final Logger LOG = Logger.getLogger(SweepCoordinator.class);

    private Ec2Cloud ec2;

    /** GCP's ports, qualified {@code @Identifier("gcp")} by cloud-gcp's producers; built lazily, unused unless enabled. */
    @Inject
    @Identifier(GcpCloudProducer.GCP)
    Instance<GceCloud> gce;

    @Inject
    @Identifier(GcpCloudProducer.GCP)
    Instance<TaggedResources> gceTagged;

    @Inject
    @Identifier(GcpCloudProducer.GCP)
    Instance<Locations> gceLocations;

    @Inject
    @Identifier(GcpCloudProducer.GCP)
    Instance<ImageDeprecation> gceDeprecation;

    /**
     * One entry per cloud in {@code cib.cleanup.clouds}. GCP, like the GCE adapter everywhere, starts without
     * {@code cib.gcp.project}: its clients are made on first call, which then fails naming the missing property.
     */
    @Produces
    @Singleton
    Map<Cloud, CloudPorts> clouds(CleanupWorkerConfig config, AwsConfig aws, GcpConfig gcp, MeterRegistry meters) {
        Map<Cloud, CloudPorts> clouds = new EnumMap<>(Cloud.class);
        for (String name : config.clouds()) {
            Cloud cloud = Cloud.fromWireName(name);
            switch (cloud) {
                case AWS -> {
                    Ec2Clients clients = Ec2Clients.create(aws.endpointOverride(), aws.retry().toRetry());
                    ec2 = new Ec2Cloud(clients);
                    MeteredCloud metered = new MeteredCloud(name, ec2, ec2, meters);
                    clouds.put(cloud, new CloudPorts(metered, metered, new Ec2TaggedResources(clients, ec2),
                            new Ec2Locations(clients, config.awsHomeRegion()),
                            Optional.of(new Ec2PackerTemporaries(clients)),
                            new Ec2ImageDeprecation(clients, Clock.systemUTC()), Optional.empty()));
                }
                case GCP -> {
                    GceCloud images = gce.get();
                    MeteredCloud metered = new MeteredCloud(name, images, images, meters);
                    // Packer leaves nothing untaggable on GCP; images are swept in the location "global".
                    clouds.put(cloud, new CloudPorts(metered, metered, gceTagged.get(), gceLocations.get(),
                            Optional.empty(), gceDeprecation.get(), gcp.project().filter(p -> !p.isBlank())));
                }
                default -> throw new IllegalStateException("cib.cleanup.clouds: " + name + " is not supported");
            }
        }
        return clouds;
    }

    @Produces
    @Singleton
    CleanupSettings settings(CleanupWorkerConfig config) {
        return new CleanupSettings(config.retention(), config.releasePrefix(), config.packerMaxAge(),
                config.keepReleases(), config.deprecationGrace());
    }

    @Produces
    @Singleton
    EventCleanup eventCleanup(Map<Cloud, CloudPorts> clouds, CleanupSettings settings) {
        return new EventCleanup(clouds, settings, Clock.systemUTC());
    }

    @Produces
    @Singleton
    SweepCoordinator sweep(Map<Cloud, CloudPorts> clouds, CleanupSettings settings) {
        return new SweepCoordinator(clouds, settings, Clock.systemUTC(), LOG::info);
    }

    @PreDestroy
    void close() {
        if (ec2 != null) {
            ec2.close();
        }
    }
}
