package io.kubevirt.cib.cleanup.messaging;

import io.kubevirt.cib.cleanup.config.CleanupWorkerConfig;
import io.kubevirt.cib.common.messaging.KafkaOutcomeSink;
import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.OutcomeSink;
import io.kubevirt.cib.common.phase.WireEvent;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventCodec;
import io.kubevirt.cib.events.EventIds;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.SweepRequested;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Publishes the scheduled sweep requests. Every replica publishes one per slot, all with the same event id (derived
 * from the slot), so the ledger runs each slot's sweep once however many replicas asked.
 */
@ApplicationScoped
public class SweepSchedule {

    private static final Logger LOG = Logger.getLogger(SweepSchedule.class);

    @Inject
    CleanupWorkerConfig config;

    @Inject
    SweepRequests requests;

    private ScheduledExecutorService timer;

    void start(@Observes StartupEvent ignored) {
        if (config.sweep().interval().isZero()) {
            return;
        }
        long period = config.sweep().interval().toSeconds();
        timer = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "sweep-schedule"));
        timer.scheduleAtFixedRate(this::requestCurrentSlot, period, period, TimeUnit.SECONDS);
    }

    void stop(@Observes ShutdownEvent ignored) {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    private void requestCurrentSlot() {
        try {
            long slot = Instant.now().getEpochSecond() / config.sweep().interval().toSeconds();
            requests.request("sweep-slot-" + slot, false, "schedule");
        } catch (RuntimeException e) {
            LOG.warnf("could not request the scheduled sweep: %s", e.getMessage());
        }
    }

    /** Writes a sweep.requested through the pipeline's outcome producer. */
    @ApplicationScoped
    public static class SweepRequests {

        @Inject
        KafkaOutcomeSink sink;

        public void request(String runId, boolean dryRun, String requestedBy) {
            EventCodec codec = new EventCodec();
            SweepRequested data = new SweepRequested(EventType.CURRENT_VERSION, runId, dryRun, requestedBy, null,
                    null);
            String id = EventIds.derived("sweep.requested", runId);
            Envelope<SweepRequested> envelope = Envelope.withId(id, data, URI.create("/cib/cleanup-worker"),
                    Clock.systemUTC());
            LOG.infof("requesting sweep %s", runId);
            try {
                sink.publish(List.of(new WireEvent(id, EventType.SWEEP_REQUESTED.topic(), envelope.key(),
                        codec.encodeHeaders(envelope), codec.encodeData(data))), Attempt.uncancellable(id));
            } catch (OutcomeSink.NotPublishedException e) {
                throw new IllegalStateException("sweep request not published", e);
            }
        }
    }
}
