package io.kubevirt.cib.verify.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Typed configuration of the test-worker ({@code cib.verify.*}); defaults in application.properties. */
@ConfigMapping(prefix = "cib.verify")
public interface TestWorkerConfig {

    /** Clouds this worker verifies on; image.built for another cloud is reported as failed. */
    Set<String> clouds();

    Launch aws();

    Launch gcp();

    /** How long a booted instance may take to report its SSH host keys through the cloud. */
    Duration hostKeyWait();

    /** How long a cloud call that fails retryably (throttling, no capacity, a timed-out launch) is retried. */
    @WithDefault("2m")
    Duration cloudRetryBudget();

    /**
     * How long the final terminate is retried. It also runs after a cancel, so it must fit in
     * {@code cib.messaging.revoke-grace} (and the pod's termination grace).
     */
    @WithDefault("2m")
    Duration cleanupBudget();

    /** Expiry tag on verification instances, for the sweep should this worker die mid-run. */
    Duration instanceLifetime();

    /** Connect to every instance here ("host:port") instead of its cloud address: tests, or a bastion tunnel. */
    Optional<String> addressOverride();

    Ssh ssh();

    Script script();

    interface Launch {
        String machineType();

        int diskSizeGb();

        Optional<String> subnet();

        Optional<List<String>> firewallGroups();

        /** The image's default login; the per-run public key is installed for it. */
        String sshUser();

        @WithDefault("true")
        boolean nestedVirtualization();
    }

    interface Ssh {
        /** First pause between connection attempts; doubles up to {@link #maxInterval()}. */
        Duration initialInterval();

        Duration maxInterval();

        /** SSH comes up only when the first-boot installer is done: this budget covers the whole install. */
        Duration budget();

        Duration connectTimeout();
    }

    interface Script {
        /** Per-step timeout of the verification script (each of its six steps). */
        Optional<Duration> stepTimeout();

        Optional<Duration> pollInterval();

        /** cirros disk the DataVolume imports. */
        Optional<String> imageUrl();

        /** Run kubectl through {@code sudo -n} (the default user cannot read admin.conf otherwise). */
        @WithDefault("true")
        boolean sudo();
    }
}
