package io.kubevirt.cib.publish.config;

import io.kubevirt.cib.common.cloud.AccountSettings;
import io.kubevirt.cib.common.cloud.ImageCatalog;
import io.kubevirt.cib.common.cloud.ImageCopies;
import io.kubevirt.cib.common.cloud.ImageExports;
import io.kubevirt.cib.common.cloud.ImageFamilies;
import io.kubevirt.cib.common.cloud.LaunchPermissions;
import io.kubevirt.cib.common.cloud.RegionDirectory;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.gcp.GceCloud;
import io.kubevirt.cib.gcp.GcpCloudProducer;
import io.kubevirt.cib.gcp.GcpConfig;
import io.kubevirt.cib.publish.domain.PublishCoordinator;
import io.kubevirt.cib.publish.domain.PublishSettings;
import io.kubevirt.cib.publish.domain.VerifiedReleaseCoordinator;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import java.time.Clock;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/** Assembles the plain-Java publish logic from configuration and the cloud adapters. */
@ApplicationScoped
public class PublishWiring {

    private static final Logger LOG = Logger.getLogger(PublishCoordinator.class);

    @Produces
    @ApplicationScoped
    PublishCoordinator coordinator(PublishWorkerConfig config, GcpConfig gcpConfig, ImageCatalog images,
            RegionDirectory regions, ImageCopies copies, LaunchPermissions permissions, AccountSettings account,
            @Identifier(GcpCloudProducer.GCP) GceCloud gce,
            @Identifier(GcpCloudProducer.GCP) LaunchPermissions gcePermissions,
            @Identifier(GcpCloudProducer.GCP) ImageExports gceExports,
            @Identifier(GcpCloudProducer.GCP) ImageFamilies gceFamilies) {
        PublishWorkerConfig.Aws aws = config.aws();
        Set<Cloud> clouds = config.clouds().stream().map(Cloud::fromWireName)
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(Cloud.class)));
        PublishSettings settings = new PublishSettings(aws.sourceRegion(), aws.allowRegions().orElse(Set.of()),
                aws.denyRegions().orElse(Set.of()), aws.copyBudget(), aws.maxConcurrentCopies(), aws.deprecateAfter(),
                config.gcpRegion(), clouds, gcpConfig.project().filter(p -> !p.isBlank()), config.gcpFamily());
        // GCP's adapters make their clients on first call: a worker that publishes on AWS only needs no GCP setup.
        return new PublishCoordinator(new PublishCoordinator.AwsPorts(images, regions, copies, permissions, account),
                new PublishCoordinator.GcpPorts(gce, gcePermissions, gceExports, gceFamilies), settings,
                Clock.systemUTC(), (buildId, message) -> LOG.infof("build %s: %s", buildId, message));
    }

    @Produces
    @ApplicationScoped
    VerifiedReleaseCoordinator verifiedRelease(PublishCoordinator publisher) {
        return new VerifiedReleaseCoordinator(publisher);
    }
}
