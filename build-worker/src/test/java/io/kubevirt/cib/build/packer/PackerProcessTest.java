package io.kubevirt.cib.build.packer;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.common.phase.Attempt;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a Packer run stops, with shell stand-ins for Packer (the real one is exercised by the flow and crash tests). */
class PackerProcessTest {

    @TempDir
    Path dir;

    private PackerProcess start(String script, Duration grace) throws Exception {
        Path file = Files.writeString(dir.resolve("fake-packer.sh"), script);
        return PackerProcess.start(List.of("/bin/bash", file.toString()), dir, Map.of(), grace);
    }

    @Test
    void cancelledAttemptSendsSigtermAndPackerCleansUpWithinTheGrace() throws Exception {
        PackerProcess process = start("""
                trap 'echo cleaning up; sleep 0.3; echo cleanly cancelled; exit 1' TERM
                echo building
                while true; do sleep 0.1; done
                """, Duration.ofSeconds(20));
        Attempt attempt = new Attempt("input-1", 1);
        List<String> lines = new CopyOnWriteArrayList<>();
        try (Attempt.Registration ignored = attempt.onCancel(process::interrupt)) {
            Thread canceller = new Thread(() -> {
                awaitLine(lines, "building");
                attempt.cancel("partition revoked");
            });
            canceller.start();
            PackerProcess.Exit exit = process.awaitExit(Instant.now().plusSeconds(60), lines::add);
            canceller.join();

            assertThat(exit.ending()).isEqualTo(PackerProcess.Ending.INTERRUPTED);
            assertThat(exit.exitCode()).isEqualTo(1);
            assertThat(lines).containsSubsequence("building", "cleaning up", "cleanly cancelled");
        }
    }

    @Test
    void packerIgnoringSigtermIsKilledAfterTheGrace() throws Exception {
        PackerProcess process = start("""
                trap 'echo ignoring TERM' TERM
                echo building
                while true; do sleep 0.1; done
                """, Duration.ofMillis(700));
        List<String> lines = new CopyOnWriteArrayList<>();
        Instant started = Instant.now();

        PackerProcess.Exit exit = process.awaitExit(started.plusMillis(500), lines::add);

        assertThat(exit.ending()).isEqualTo(PackerProcess.Ending.TIMED_OUT);
        assertThat(exit.exitCode()).isEqualTo(137);
        assertThat(lines).contains("building", "ignoring TERM");
        assertThat(Duration.between(started, Instant.now())).isBetween(Duration.ofMillis(1100), Duration.ofSeconds(10));
    }

    @Test
    void packerThatEndsOnItsOwnIsAnOrdinaryExit() throws Exception {
        PackerProcess process = start("echo done; exit 0\n", Duration.ofSeconds(5));
        List<String> lines = new CopyOnWriteArrayList<>();

        PackerProcess.Exit exit = process.awaitExit(Instant.now().plusSeconds(30), lines::add);

        assertThat(exit).isEqualTo(new PackerProcess.Exit(PackerProcess.Ending.EXITED, 0));
        assertThat(lines).containsExactly("done");
    }

    private static void awaitLine(List<String> lines, String line) {
        long giveUp = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!lines.contains(line) && System.nanoTime() < giveUp) {
            Thread.onSpinWait();
        }
    }
}
