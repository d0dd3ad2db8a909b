package io.kubevirt.cib.common.messaging;

import io.kubevirt.cib.common.phase.Attempt;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Default;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * A replica's claim on an input is its ownership of the input's partition. When the partition is revoked (a replica
 * joined or left) or lost, the attempts on it are cancelled, and the rebalance waits, up to
 * {@code cib.messaging.revoke-grace}, until they have cleaned up: only then can the partition's next owner start the
 * same input, so no replica removes what a live attempt elsewhere still uses. A cancelled attempt publishes nothing.
 * The same happens to every attempt when the worker stops.
 */
@ApplicationScoped
@Default
@Identifier(PhaseClaims.LISTENER)
public class PhaseClaims implements KafkaConsumerRebalanceListener {

    /** The name channels use: {@code consumer-rebalance-listener.name=phase-claims}. */
    public static final String LISTENER = "phase-claims";

    private static final Logger LOG = Logger.getLogger(PhaseClaims.class);

    private final Map<Attempt, TopicPartition> inFlight = new ConcurrentHashMap<>();
    private final Attempt lifetime = new Attempt("worker", 1);
    private final MessagingSettings settings;

    @Inject
    public PhaseClaims(MessagingSettings settings) {
        this.settings = settings;
    }

    /** Cancelled when the worker stops: ends waits that belong to no single input (ledger and broker retries). */
    public Attempt lifetime() {
        return lifetime;
    }

    /** Registers an attempt at an input from {@code partition}; {@link #end} it when it is over. */
    public Attempt begin(String inputId, int number, TopicPartition partition) {
        Attempt attempt = new Attempt(inputId, number);
        if (lifetime.cancelled()) {
            attempt.cancel("worker is stopping");
        }
        inFlight.put(attempt, partition);
        return attempt;
    }

    public void end(Attempt attempt) {
        inFlight.remove(attempt);
        synchronized (inFlight) {
            inFlight.notifyAll();
        }
    }

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        if (!partitions.isEmpty()) {
            LOG.infof("partitions assigned to this replica: %s", partitions);
        }
    }

    @Override
    public void onPartitionsRevoked(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        letGo(Set.copyOf(partitions), "partition revoked from this replica");
    }

    @Override
    public void onPartitionsLost(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        letGo(Set.copyOf(partitions), "partition lost by this replica");
    }

    void onStop(@Observes @Priority(1) ShutdownEvent event) {
        lifetime.cancel("worker is stopping");
        letGo(null, "worker is stopping");
    }

    /** Cancels the attempts on {@code partitions} (all if null) and waits for them to end. */
    void letGo(Set<TopicPartition> partitions, String why) {
        List<Attempt> affected = inFlight.entrySet().stream()
                .filter(e -> partitions == null || partitions.contains(e.getValue()))
                .map(Map.Entry::getKey)
                .toList();
        if (affected.isEmpty()) {
            return;
        }
        LOG.infof("%s: stopping %d attempt(s) in flight", why, affected.size());
        affected.forEach(a -> a.cancel(why));
        Instant deadline = Instant.now().plus(settings.revokeGrace());
        synchronized (inFlight) {
            while (affected.stream().anyMatch(inFlight::containsKey)) {
                Duration left = Duration.between(Instant.now(), deadline);
                if (left.isNegative() || left.isZero()) {
                    LOG.warnf("%s: attempts still running after %s: %s", why, settings.revokeGrace(),
                            affected.stream().filter(inFlight::containsKey).map(Attempt::inputId).toList());
                    return;
                }
                try {
                    // At least 1 ms: wait(0) would wait for ever.
                    inFlight.wait(Math.max(1, Math.min(left.toMillis(), 1_000)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        LOG.infof("%s: %d attempt(s) stopped and cleaned up", why, affected.size());
    }
}
