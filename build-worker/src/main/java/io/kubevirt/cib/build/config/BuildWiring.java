package io.kubevirt.cib.build.config;

import io.kubevirt.cib.build.domain.BuildCoordinator;
import io.kubevirt.cib.build.domain.BuildSettings;
import io.kubevirt.cib.build.domain.CloudAccess;
import io.kubevirt.cib.build.domain.ImageBuilder;
import io.kubevirt.cib.common.cloud.ImageCatalog;
import io.kubevirt.cib.common.cloud.InstanceFleet;
import io.kubevirt.cib.events.Cloud;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import java.time.Clock;
import java.util.EnumMap;
import java.util.Map;
import org.jboss.logging.Logger;

/** Assembles the plain-Java build logic from configuration and the cloud adapters. */
@ApplicationScoped
public class BuildWiring {

    private static final Logger LOG = Logger.getLogger(BuildCoordinator.class);

    @Produces
    @ApplicationScoped
    BuildCoordinator coordinator(BuildWorkerConfig config, ImageBuilder builder, ImageCatalog awsImages,
            InstanceFleet awsInstances) {
        Map<Cloud, CloudAccess> clouds = new EnumMap<>(Cloud.class);
        for (String name : config.clouds()) {
            Cloud cloud = Cloud.fromWireName(name);
            if (cloud == Cloud.AWS) {
                clouds.put(cloud, new CloudAccess(awsImages, awsInstances));
            } else {
                LOG.warnf("cloud %s is configured but has no adapter in this worker yet; its requests will fail", name);
            }
        }
        BuildSettings settings = new BuildSettings(
                config.defaults().cdiVersion(),
                config.defaults().kubernetesVersion(),
                config.aws().region(),
                config.gcp().zone(),
                config.gcp().project(),
                config.imageLifetime(),
                config.timeout());
        return new BuildCoordinator(clouds, builder, settings, Clock.systemUTC(),
                (buildId, message) -> LOG.infof("build %s: %s", buildId, message));
    }
}
