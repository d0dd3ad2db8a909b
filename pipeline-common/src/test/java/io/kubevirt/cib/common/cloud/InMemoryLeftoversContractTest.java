package io.kubevirt.cib.common.cloud;

import java.time.Clock;
import java.util.List;

class InMemoryLeftoversContractTest extends SweepPortsContract {

    private final InMemoryLeftovers fake = new InMemoryLeftovers(List.of("us-east-1", "eu-west-1"),
            Clock.systemUTC());

    @Override
    protected Locations locations() {
        return fake;
    }

    @Override
    protected TaggedResources tagged() {
        return fake;
    }

    @Override
    protected PackerTemporaries packer() {
        return fake;
    }

    @Override
    protected ImageDeprecation deprecation() {
        return fake;
    }

    @Override
    protected SweepFixture fixture() {
        return fake;
    }

    @Override
    protected String location() {
        return "eu-west-1";
    }
}
