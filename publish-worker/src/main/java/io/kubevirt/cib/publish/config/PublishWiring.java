package io.kubevirt.cib.publish.config;

import io.kubevirt.cib.common.cloud.AccountSettings;
import io.kubevirt.cib.common.cloud.ImageCatalog;
import io.kubevirt.cib.common.cloud.ImageCopies;
import io.kubevirt.cib.common.cloud.LaunchPermissions;
import io.kubevirt.cib.common.cloud.RegionDirectory;
import io.kubevirt.cib.publish.domain.PublishCoordinator;
import io.kubevirt.cib.publish.domain.PublishSettings;
import io.kubevirt.cib.publish.domain.VerifiedReleaseCoordinator;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import java.time.Clock;
import java.util.Set;
import org.jboss.logging.Logger;

/** Assembles the plain-Java publish logic from configuration and the cloud adapters. */
@ApplicationScoped
public class PublishWiring {

    private static final Logger LOG = Logger.getLogger(PublishCoordinator.class);

    @Produces
    @ApplicationScoped
    PublishCoordinator coordinator(PublishWorkerConfig config, ImageCatalog images, RegionDirectory regions,
            ImageCopies copies, LaunchPermissions permissions, AccountSettings account) {
        PublishWorkerConfig.Aws aws = config.aws();
        PublishSettings settings = new PublishSettings(aws.sourceRegion(), aws.allowRegions().orElse(Set.of()),
                aws.denyRegions().orElse(Set.of()), aws.copyBudget(), aws.maxConcurrentCopies(), aws.deprecateAfter(),
                config.gcpRegion());
        return new PublishCoordinator(new PublishCoordinator.AwsPorts(images, regions, copies, permissions, account),
                settings, Clock.systemUTC(), (buildId, message) -> LOG.infof("build %s: %s", buildId, message));
    }

    @Produces
    @ApplicationScoped
    VerifiedReleaseCoordinator verifiedRelease(PublishCoordinator publisher) {
        return new VerifiedReleaseCoordinator(publisher);
    }
}
