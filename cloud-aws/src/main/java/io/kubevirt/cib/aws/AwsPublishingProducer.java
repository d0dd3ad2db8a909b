package io.kubevirt.cib.aws;

import io.kubevirt.cib.common.cloud.AccountSettings;
import io.kubevirt.cib.common.cloud.ImageCopies;
import io.kubevirt.cib.common.cloud.LaunchPermissions;
import io.kubevirt.cib.common.cloud.RegionDirectory;
import io.quarkus.arc.DefaultBean;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;

/** The publishing ports on EC2, one adapter per port over one set of regional clients. */
@Singleton
public class AwsPublishingProducer {

    private final Ec2Clients clients;
    private final Duration copyPoll;

    @Inject
    AwsPublishingProducer(AwsConfig config) {
        this.clients = Ec2Clients.create(config.endpointOverride(), config.retry().toRetry());
        this.copyPoll = config.copyPollInterval();
    }

    @Produces
    @ApplicationScoped
    @DefaultBean
    RegionDirectory regionDirectory() {
        return new Ec2RegionDirectory(clients);
    }

    @Produces
    @ApplicationScoped
    @DefaultBean
    ImageCopies imageCopies() {
        return new Ec2ImageCopies(clients, copyPoll);
    }

    @Produces
    @ApplicationScoped
    @DefaultBean
    LaunchPermissions launchPermissions() {
        return new Ec2LaunchPermissions(clients);
    }

    @Produces
    @ApplicationScoped
    @DefaultBean
    AccountSettings accountSettings() {
        return new Ec2AccountSettings(clients);
    }

    @PreDestroy
    void close() {
        clients.close();
    }
}
