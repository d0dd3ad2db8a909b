package io.kubevirt.cib.build.config;

import io.kubevirt.cib.build.domain.BuildCoordinator;
import io.kubevirt.cib.build.domain.BuildSettings;
import io.kubevirt.cib.common.cloud.CloudPorts;
import io.kubevirt.cib.build.domain.ImageBuilder;
import io.kubevirt.cib.common.cloud.ImageCatalog;
import io.kubevirt.cib.common.cloud.InstanceFleet;
import io.kubevirt.cib.common.metrics.MeteredCloud;
import io.kubevirt.cib.common.phase.WaitPolicy;
import io.kubevirt.cib.common.phase.Waiter;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.gcp.GceCloud;
import io.kubevirt.cib.gcp.GcpCloudProducer;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/** Assembles the plain-Java build logic from configuration and the cloud adapters. */
@ApplicationScoped
public class BuildWiring {

    private static final Logger LOG = Logger.getLogger(BuildCoordinator.class);

    /** Clouds named in cib.build.clouds get their adapter; requests for any other cloud fail as not enabled. */
    @Produces
    @ApplicationScoped
    BuildCoordinator coordinator(BuildWorkerConfig config, ImageBuilder builder, ImageCatalog awsImages,
            InstanceFleet awsInstances, @Identifier(GcpCloudProducer.GCP) GceCloud gcp,
            @ConfigProperty(name = "cib.gcp.project") Optional<String> gcpProject, MeterRegistry meters,
            Waiter waiter) {
        Map<Cloud, CloudPorts> clouds = MeteredCloud.enabled(config.clouds(), new CloudPorts(awsImages, awsInstances),
                new CloudPorts(gcp, gcp), meters);
        BuildSettings settings = new BuildSettings(
                config.defaults().cdiVersion(),
                config.defaults().kubernetesVersion(),
                config.aws().region(),
                config.gcp().zone(),
                gcpProject,
                config.imageLifetime(),
                config.timeout(),
                new WaitPolicy(Duration.ofSeconds(2), Duration.ofSeconds(30), config.cleanupBudget()));
        return new BuildCoordinator(clouds, builder, settings, waiter, Clock.systemUTC(),
                (buildId, message) -> LOG.infof("build %s: %s", buildId, message));
    }
}
