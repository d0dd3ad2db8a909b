package io.kubevirt.cib.aws;

import io.kubevirt.cib.common.cloud.AccountSettings;
import io.kubevirt.cib.common.cloud.CloudFixture;
import io.kubevirt.cib.common.cloud.ImageCatalog;
import io.kubevirt.cib.common.cloud.ImageCopies;
import io.kubevirt.cib.common.cloud.LaunchPermissions;
import io.kubevirt.cib.common.cloud.PublishingContract;
import io.kubevirt.cib.common.cloud.RegionDirectory;
import io.kubevirt.cib.devstack.MotoServer;
import io.kubevirt.cib.devstack.PublishAnswers;
import io.kubevirt.cib.devstack.SlowCloudProxy;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The publishing contract against the EC2 adapters on moto. moto lacks GetImageBlockPublicAccessState and
 * EnableImageDeprecation: the proxy in front of it answers those two as AWS does.
 */
class Ec2PublishingContractTest extends PublishingContract {

    private static MotoServer moto;
    private static SlowCloudProxy proxy;
    private static Ec2Clients clients;
    private static Ec2Fixture fixture;

    @BeforeAll
    static void start() {
        moto = MotoServer.start();
        proxy = SlowCloudProxy.start(moto.endpoint());
        PublishAnswers.answerWhatMotoLacks(proxy);
        clients = Ec2Clients.create(Optional.of(URI.create(proxy.endpoint())));
        fixture = new Ec2Fixture(clients, MotoServer.BASE_AMI_ID);
    }

    @AfterAll
    static void stop() {
        if (clients != null) {
            clients.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (moto != null) {
            moto.close();
        }
    }

    @Override
    protected RegionDirectory regions() {
        return new Ec2RegionDirectory(clients);
    }

    @Override
    protected ImageCopies copies() {
        return new Ec2ImageCopies(clients, Duration.ofMillis(200));
    }

    @Override
    protected LaunchPermissions permissions() {
        return new Ec2LaunchPermissions(clients);
    }

    @Override
    protected AccountSettings account() {
        return new Ec2AccountSettings(clients);
    }

    @Override
    protected ImageCatalog catalog() {
        return new Ec2Cloud(clients);
    }

    @Override
    protected CloudFixture fixture() {
        return fixture;
    }

    @Override
    protected String sourceRegion() {
        return "us-west-1";
    }

    @Override
    protected String targetRegion() {
        return "eu-west-1";
    }
}
