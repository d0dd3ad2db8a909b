package io.kubevirt.cib.common.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** One contract, run against every {@link InstanceFleet}: the in-memory fake and each cloud adapter. */
public abstract class InstanceFleetContract {

    protected abstract InstanceFleet fleet();

    protected abstract CloudFixture fixture();

    protected abstract String location();

    @Test
    void findsLiveInstancesByTagsAndTerminatesThem() {
        String build = "b-" + UUID.randomUUID().toString().substring(0, 8);
        String mine = fixture().seedInstance(location(), Map.of(ResourceTags.BUILD_ID, build, ResourceTags.PHASE, "build"));
        fixture().seedInstance(location(), Map.of(ResourceTags.BUILD_ID, build, ResourceTags.PHASE, "verify"));

        var found = fleet().findInstances(location(), Map.of(ResourceTags.BUILD_ID, build, ResourceTags.PHASE, "build"));
        assertThat(found).extracting(CloudInstance::id).containsExactly(mine);
        assertThat(found.get(0).state().isAlive()).isTrue();

        fleet().terminate(location(), List.of(mine));

        assertThat(fleet().findInstances(location(), Map.of(ResourceTags.BUILD_ID, build, ResourceTags.PHASE, "build")))
                .isEmpty();
        assertThat(fleet().findInstances(location(), Map.of(ResourceTags.BUILD_ID, build))).hasSize(1);
    }

    @Test
    void terminatingNothingOrAnAlreadyTerminatedInstanceIsNotAnError() {
        String build = "b-" + UUID.randomUUID().toString().substring(0, 8);
        String id = fixture().seedInstance(location(), Map.of(ResourceTags.BUILD_ID, build));
        fleet().terminate(location(), List.of(id));

        assertThatCode(() -> fleet().terminate(location(), List.of(id))).doesNotThrowAnyException();
        assertThatCode(() -> fleet().terminate(location(), List.of())).doesNotThrowAnyException();
    }

    /** An image the implementation can launch from. */
    protected abstract String launchableImage();

    @Test
    void launchedInstanceCarriesItsTagsAndIsFoundByThem() {
        String build = "b-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> tags = Map.of(ResourceTags.BUILD_ID, build, ResourceTags.PHASE, "verify");

        CloudInstance launched = fleet().launch(new LaunchSpec(location(), launchableImage(), machineType(), 20,
                java.util.Optional.empty(), List.of(), "ubuntu",
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLEexampleEXAMPLEexampleEXAMPLEexample cib", tags,
                "tok-" + build, false));

        assertThat(launched.tags()).containsAllEntriesOf(tags);
        assertThat(fleet().findInstances(location(), tags)).extracting(CloudInstance::id).containsExactly(launched.id());
        assertThat(fleet().describe(location(), launched.id())).hasValueSatisfying(i ->
                assertThat(i.state().isAlive()).isTrue());

        fleet().terminate(location(), List.of(launched.id()));

        assertThat(fleet().describe(location(), launched.id()))
                .satisfiesAnyOf(i -> assertThat(i).isEmpty(),
                        i -> assertThat(i.get().state()).isIn(CloudInstance.State.TERMINATED,
                                CloudInstance.State.SHUTTING_DOWN));
    }

    /** A machine type the implementation accepts. */
    protected String machineType() {
        return "t3.micro";
    }
}
