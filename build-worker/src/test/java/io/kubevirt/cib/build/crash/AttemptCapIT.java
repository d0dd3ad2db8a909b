package io.kubevirt.cib.build.crash;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.common.messaging.EventStreamClient;
import io.kubevirt.cib.devstack.KafkaBroker;
import io.kubevirt.cib.devstack.MotoServer;
import io.kubevirt.cib.devstack.WorkerProcess;
import io.kubevirt.cib.events.BuildFailed;
import io.kubevirt.cib.events.BuildRequested;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.ImageBuilt;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An input that kills its worker process every time it is handled (the test-only halt trigger) does not crash-loop
 * its partition: the ledger counts the attempts that died, and after the cap the input ends as a build.failed that
 * names it; the record behind it on the same partition is then built. Static membership gives each restarted worker
 * its partition back at once; the time from start to picking the input up again is printed.
 */
class AttemptCapIT {

    private static final String REGION = "us-west-1";
    private static final int CAP = 3;

    private static KafkaBroker broker;
    private static MotoServer moto;

    @BeforeAll
    static void startPeers() {
        broker = KafkaBroker.start(0);
        moto = MotoServer.start();
        // One partition: the poisonous input and the next one queue behind each other.
        broker.createTopics(List.of("build.requested"), 1);
    }

    @AfterAll
    static void stopPeers() {
        moto.close();
        broker.close();
    }

    @Test
    void anInputThatKillsItsWorkerEveryTimeEndsAsAFailureAfterTheCapAndThePartitionMovesOn() throws Exception {
        String poison = "poison-" + UUID.randomUUID().toString().substring(0, 8);
        String next = "next-" + UUID.randomUUID().toString().substring(0, 8);
        Path logs = Files.createDirectories(Path.of("target/attempt-cap-it"));

        try (EventStreamClient stream = new EventStreamClient(broker.bootstrapServers())) {
            Envelope<BuildRequested> poisonous = stream.send(EmulatedBuildWorker.request(poison, "attempt-cap-test"));
            stream.send(EmulatedBuildWorker.request(next, "attempt-cap-test"));

            for (int run = 1; run <= CAP; run++) {
                long started = System.nanoTime();
                try (WorkerProcess worker = WorkerProcess.start(properties(poison), Map.of(),
                        logs.resolve("run-" + run + ".log"))) {
                    worker.awaitLogLine("build " + poison + ": build.requested", Duration.ofSeconds(60));
                    System.out.printf("AttemptCapIT run %d: input picked up %.1f s after the worker started%n", run,
                            (System.nanoTime() - started) / 1e9);
                    assertThat(worker.awaitExit(Duration.ofSeconds(30))).as("worker halted on the poison").isTrue();
                }
            }

            try (WorkerProcess last = WorkerProcess.start(properties(poison), Map.of(), logs.resolve("last.log"))) {
                Envelope<BuildFailed> failed = stream.awaitEvents(BuildFailed.class, poison, 1, Duration.ofSeconds(60))
                        .get(0);
                assertThat(failed.data().stage()).isEqualTo(BuildFailed.Stage.WORKER);
                assertThat(failed.data().retryable()).isFalse();
                assertThat(failed.data().reason()).contains("died " + CAP + " times").contains(poisonous.id());
                assertThat(failed.data().causedBy()).isEqualTo(poisonous.id());

                ImageBuilt built = stream.awaitEvents(ImageBuilt.class, next, 1, Duration.ofSeconds(120)).get(0).data();
                assertThat(built.buildId()).isEqualTo(next);
            }
        }
    }

    private static Map<String, String> properties(String haltOn) {
        Map<String, String> props = EmulatedBuildWorker.properties(broker.bootstrapServers(), moto.endpoint(),
                "target/attempt-cap-it/packer");
        props.put("cib.messaging.attempt-cap", Integer.toString(CAP));
        props.put("cib.messaging.halt-on-build-id", haltOn);
        // Static membership: a restarted worker takes its partition back without waiting for the old session.
        props.put("cib.messaging.instance-id", "attempt-cap-it");
        return props;
    }
}
