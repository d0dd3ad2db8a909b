package io.kubevirt.cib.common.cloud;

import java.util.List;

/** The publishing fake honours the contract the AWS adapters pass on moto. */
class InMemoryPublishingContractTest extends PublishingContract {

    private final InMemoryCloud cloud = new InMemoryCloud();
    private final InMemoryPublishing publishing = new InMemoryPublishing(cloud, List.of(
            new RegionDirectory.RegionInfo("us-west-1", RegionDirectory.OptIn.NOT_REQUIRED),
            new RegionDirectory.RegionInfo("eu-west-1", RegionDirectory.OptIn.NOT_REQUIRED),
            new RegionDirectory.RegionInfo("af-south-1", RegionDirectory.OptIn.NOT_OPTED_IN),
            new RegionDirectory.RegionInfo("cn-north-1", RegionDirectory.OptIn.NOT_REQUIRED)));

    @Override
    protected RegionDirectory regions() {
        return publishing;
    }

    @Override
    protected ImageCopies copies() {
        return publishing;
    }

    @Override
    protected LaunchPermissions permissions() {
        return publishing;
    }

    @Override
    protected AccountSettings account() {
        return publishing;
    }

    @Override
    protected ImageCatalog catalog() {
        return cloud;
    }

    @Override
    protected CloudFixture fixture() {
        return cloud;
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
