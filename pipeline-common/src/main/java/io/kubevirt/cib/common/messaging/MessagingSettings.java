package io.kubevirt.cib.common.messaging;

import io.kubevirt.cib.common.phase.WaitPolicy;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** {@code cib.messaging.*}: how every worker reads, records and publishes. Defaults suit production. */
@ConfigMapping(prefix = "cib.messaging")
public interface MessagingSettings {

    /** Names the worker: event source {@code /cib/<worker>} and the ledger topic {@code <worker>.ledger}. */
    @WithDefault("${cib.worker.name}")
    String worker();

    /** One try to put an outcome or ledger record on the broker. */
    @WithDefault("20s")
    Duration deliveryTimeout();

    /** Backoff between tries while the broker is away; tries go on until the attempt is cancelled. */
    @WithDefault("1s")
    Duration retryInitialDelay();

    @WithDefault("30s")
    Duration retryMaxDelay();

    /** Tries of one input whose worker process died while handling it, before it ends as a failure event. */
    @WithDefault("3")
    int attemptCap();

    /** How long a revoked partition's in-flight attempts get to stop and clean up before the rebalance goes on. */
    @WithDefault("4m")
    Duration revokeGrace();

    /**
     * Static group membership ({@code group.instance.id}), e.g. the pod name: a restarted worker gets its
     * partitions back at once instead of after the session timeout. Empty: dynamic membership.
     */
    Optional<String> instanceId();

    /** Test-only: a worker handling this build ID halts its JVM, as a crash would. Never set in production. */
    Optional<String> haltOnBuildId();

    /** Test-only: a worker handling this build ID throws from the phase, as a bug would. Never set in production. */
    Optional<String> throwOnBuildId();

    default WaitPolicy publishRetry() {
        // No real end: the attempt is cancelled when the worker stops or loses the partition.
        return new WaitPolicy(retryInitialDelay(), retryMaxDelay(), Duration.ofDays(3650));
    }

    default String ledgerTopic() {
        return worker() + ".ledger";
    }
}
