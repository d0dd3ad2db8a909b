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
import io.kubevirt.cib.common.metrics.MeteredCloud;
import io.kubevirt.cib.events.Cloud;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
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

    @Produces
    @Singleton
    Map<Cloud, CloudPorts> clouds(CleanupWorkerConfig config, AwsConfig aws, MeterRegistry meters) {
        Map<Cloud, CloudPorts> clouds = new EnumMap<>(Cloud.class);
        for (String name : config.clouds()) {
            Cloud cloud = Cloud.fromWireName(name);
            if (cloud != Cloud.AWS) {
                // The sweep ports have no GCE adapter yet: refuse rather than silently sweeping nothing there.
                throw new IllegalStateException("cib.cleanup.clouds: " + name + " is not supported yet");
            }
            Ec2Clients clients = Ec2Clients.create(aws.endpointOverride(), aws.retry().toRetry());
            ec2 = new Ec2Cloud(clients);
            MeteredCloud metered = new MeteredCloud(name, ec2, ec2, meters);
            clouds.put(cloud, new CloudPorts(metered, metered, new Ec2TaggedResources(clients, ec2),
                    new Ec2Locations(clients, config.awsHomeRegion()), Optional.of(new Ec2PackerTemporaries(clients)),
                    new Ec2ImageDeprecation(clients, Clock.systemUTC()), Optional.empty()));
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
