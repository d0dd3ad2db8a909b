package io.kubevirt.cib.verify.testing;

import io.kubevirt.cib.devstack.guest.StandInGuest;
import io.kubevirt.cib.verify.domain.SshIdentity;
import io.kubevirt.cib.verify.domain.SshTarget;
import java.util.List;

/** The test-worker's view of a {@link StandInGuest} (dev-stack cannot know the worker's domain types). */
public final class StandInTargets {

    private StandInTargets() {
    }

    /** The guest as the worker would reach it, pinned to the host key the cloud reported. */
    public static SshTarget target(StandInGuest guest, SshIdentity identity) {
        return new SshTarget(StandInGuest.HOST, guest.port(), StandInGuest.USER, identity,
                List.of(guest.reportedHostKeyLine()));
    }
}
