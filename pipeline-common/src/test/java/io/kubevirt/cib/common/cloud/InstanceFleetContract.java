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
}
