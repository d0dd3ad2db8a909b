package io.kubevirt.cib.verify.bench;

import io.kubevirt.cib.common.cloud.CloudPorts;
import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.common.cloud.CloudInstance;
import io.kubevirt.cib.common.cloud.InMemoryCloud;
import io.kubevirt.cib.common.cloud.LaunchSpec;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.phase.PhaseOutcome;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ImageBuilt;
import io.kubevirt.cib.events.ImageVerified;
import io.kubevirt.cib.verify.domain.RemoteShell;
import io.kubevirt.cib.verify.domain.SshConnector;
import io.kubevirt.cib.verify.domain.SshIdentity;
import io.kubevirt.cib.verify.domain.SshTarget;
import io.kubevirt.cib.verify.domain.SshUnavailableException;
import io.kubevirt.cib.verify.domain.VerificationCoordinator;
import io.kubevirt.cib.verify.domain.VerificationSettings;
import io.kubevirt.cib.common.phase.WaitPolicy;
import io.kubevirt.cib.common.wait.GuardedWaiter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.kubevirt.cib.verify.domain.run.VerificationScriptRun;
import io.kubevirt.cib.verify.ssh.SshGuestVerifier;
import io.kubevirt.cib.verify.ssh.SshKeyPairs;
import io.kubevirt.cib.verify.ssh.SshjConnector;
import io.kubevirt.cib.devstack.guest.StandInGuest;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Prints the time the test-worker adds on top of the verification itself; asserts nothing about speed (target: under
 * 1 s per verification, excluding cloud and SSH waits). Run: {@code mvn -o verify -pl test-worker -Pbenchmark}.
 *
 * <p>In-process: the real {@link VerificationCoordinator}, the real {@link SshGuestVerifier} over sshj and the shipped
 * script, against the in-memory cloud (no latency, host keys reported at launch) and an SSH stand-in that already
 * listens (no SSH wait). Per verification: wall time of {@code handle}, time inside the remote script run (the
 * {@link RemoteShell#run} call), and what is left: the worker's overhead. Broken down into key generation, SSH
 * connect + key exchange + auth, session close, and the rest (plan, cloud port calls, parsing, tagging).
 */
class VerificationOverheadBenchmark {

    private static final int WARM_UP = 3;
    private static final int RUNS = 20;
    private static final String REGION = "us-west-1";

    /** One verification's split, in nanoseconds. */
    private static final class Sample {
        long total;
        long keygen;
        long connect;
        long script;
        long close;
        int sshAttempts;

        long overhead() {
            return total - script;
        }

        long rest() {
            return total - script - keygen - connect - close;
        }
    }

    private volatile Sample current = new Sample();

    @Test
    void printOverhead() throws Exception {
        BenchCloud cloud = new BenchCloud();
        try (StandInGuest guest = StandInGuest.builder(cloud::authorizedKeys).scenario("pass").start()) {
            cloud.hostKey = guest.reportedHostKeyLine();
            AtomicInteger sleeps = new AtomicInteger();
            List<String> workerLog = new ArrayList<>();
            VerificationCoordinator coordinator = coordinator(cloud, guest.port(), sleeps, workerLog);

            List<Sample> samples = new ArrayList<>();
            Sample cold = null;
            for (int i = 0; i < WARM_UP + RUNS; i++) {
                String buildId = "bench-" + i;
                String ami = cloud.seedImage(REGION, "kubevirt-v1-8-2-" + buildId, Map.of(ResourceTags.BUILD_ID, buildId));
                Envelope<ImageBuilt> event = imageBuilt(buildId, ami);
                Sample sample = new Sample();
                current = sample;

                long start = System.nanoTime();
                PhaseOutcome outcome = run(coordinator, event);
                sample.total = System.nanoTime() - start;

                // Figures of a failed run would measure something else: stop rather than print them.
                assertThat(outcome).isInstanceOf(PhaseOutcome.Emit.class);
                ImageVerified verified = (ImageVerified) ((PhaseOutcome.Emit) outcome).event();
                assertThat(verified.outcome()).as(verified.reason()).isEqualTo(ImageVerified.Outcome.PASSED);
                if (i == 0) {
                    cold = sample;
                } else if (i >= WARM_UP) {
                    samples.add(sample);
                }
            }
            assertThat(cloud.allInstances()).noneMatch(instance -> instance.state().isAlive());

            System.out.println();
            System.out.println("=== test-worker verification overhead (" + RUNS + " verifications after " + WARM_UP
                    + " warm-up; in-memory cloud, SSH stand-in already listening) ===");
            System.out.printf("%-34s %9s %9s %9s %9s%n", "ms per verification", "p50", "p90", "max", "mean");
            row("total (handle, wall)", samples, s -> s.total);
            row("remote script run (excluded)", samples, s -> s.script);
            row("OVERHEAD = total - script", samples, Sample::overhead);
            row("  key pair generation", samples, s -> s.keygen);
            row("  ssh connect + kex + auth", samples, s -> s.connect);
            row("  ssh session close", samples, s -> s.close);
            row("  rest (plan, cloud ports, parse)", samples, Sample::rest);
            System.out.printf("first (cold) verification: total %.1f ms, overhead %.1f ms (connect %.1f ms, keygen "
                    + "%.1f ms)%n", ms(cold.total), ms(cold.overhead()), ms(cold.connect), ms(cold.keygen));
            System.out.println("ssh attempts per verification: "
                    + samples.stream().mapToInt(s -> s.sshAttempts).summaryStatistics()
                    + "; coordinator sleeps (host-key polls): " + sleeps.get()
                    + "; worker log lines: " + workerLog.size());
            System.out.println("target: overhead < 1000 ms per verification, excluding cloud and SSH waits");
        }
    }

    private VerificationCoordinator coordinator(BenchCloud cloud, int sshPort, AtomicInteger sleeps,
            List<String> workerLog) {
        SshjConnector sshj = new SshjConnector(Duration.ofSeconds(5), Duration.ofSeconds(2));
        SshConnector timed = target -> {
            current.sshAttempts++;
            long start = System.nanoTime();
            RemoteShell shell = sshj.connect(target);
            current.connect += System.nanoTime() - start;
            return new TimedShell(shell);
        };
        // The %test profile's script settings; the stand-in answers at once, so the poll interval sets its pace.
        // Counts the host-key polls the coordinator waits for (cib.wait.retries of its host-key wait).
        SimpleMeterRegistry meters = new SimpleMeterRegistry() {
            @Override
            protected io.micrometer.core.instrument.Counter newCounter(io.micrometer.core.instrument.Meter.Id id) {
                io.micrometer.core.instrument.Counter counter = super.newCounter(id);
                if (!"verify-host-keys".equals(id.getTag("what"))) {
                    return counter;
                }
                return new io.micrometer.core.instrument.Counter() {
                    @Override
                    public void increment(double amount) {
                        sleeps.incrementAndGet();
                        counter.increment(amount);
                    }

                    @Override
                    public double count() {
                        return counter.count();
                    }

                    @Override
                    public Id getId() {
                        return counter.getId();
                    }
                };
            }
        };
        GuardedWaiter waiter = new GuardedWaiter(meters);
        SshGuestVerifier verifier = new SshGuestVerifier(timed, waiter,
                new WaitPolicy(Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofSeconds(10)),
                runId -> VerificationScriptRun.shipped(VerificationScriptRun.Settings.forRun(runId)
                        .withStepTimeouts(VerificationScriptRun.StepTimeouts.all(Duration.ofSeconds(10)))
                        .withPollInterval(Duration.ofMillis(200))));
        VerificationSettings.Launch launch = new VerificationSettings.Launch("t3.micro", 50, Optional.empty(),
                List.of(), StandInGuest.USER, false);
        VerificationSettings settings = new VerificationSettings(launch, launch,
                VerificationSettings.hostKeyPolicy(Duration.ofMinutes(10)), VerificationSettings.retryPolicy(
                        Duration.ofMinutes(1)), VerificationSettings.retryPolicy(Duration.ofMinutes(1)),
                Duration.ofHours(3), Optional.of(StandInGuest.HOST + ":" + sshPort));
        return new VerificationCoordinator(Map.of(Cloud.AWS, new CloudPorts(cloud, cloud)),
                verifier,
                () -> {
                    long start = System.nanoTime();
                    SshIdentity identity = SshKeyPairs.generate("cib-verify");
                    current.keygen += System.nanoTime() - start;
                    return identity;
                },
                settings, Clock.systemUTC(), waiter,
                (buildId, line) -> {
                    synchronized (workerLog) {
                        workerLog.add(buildId + ": " + line);
                    }
                });
    }

    /** Times the remote command (the script) and the close of the connection. */
    private final class TimedShell implements RemoteShell {
        private final RemoteShell delegate;

        TimedShell(RemoteShell delegate) {
            this.delegate = delegate;
        }

        @Override
        public ExecResult run(String command, String stdin, Duration timeout, Consumer<String> lines)
                throws SshUnavailableException {
            long start = System.nanoTime();
            try {
                return delegate.run(command, stdin, timeout, lines);
            } finally {
                current.script += System.nanoTime() - start;
            }
        }

        @Override
        public void close() {
            long start = System.nanoTime();
            delegate.close();
            current.close += System.nanoTime() - start;
        }
    }

    /** The in-memory cloud whose instances report the stand-in's host key as soon as they are launched. */
    private static final class BenchCloud extends InMemoryCloud {
        volatile String hostKey;

        @Override
        public CloudInstance launch(LaunchSpec spec) {
            CloudInstance instance = super.launch(spec);
            reportHostKeys(instance.id(), List.of(hostKey));
            return instance;
        }

        /** What cloud-init would have installed on the running instances: the keys given at launch. */
        List<String> authorizedKeys() {
            return allInstances().stream().filter(i -> i.state().isAlive()).map(i -> launchSpec(i.id()))
                    .filter(spec -> spec != null).map(LaunchSpec::sshPublicKey).toList();
        }
    }

    private static Envelope<ImageBuilt> imageBuilt(String buildId, String ami) {
        return Envelope.create(new ImageBuilt(EventType.CURRENT_VERSION, buildId, Cloud.AWS, REGION, null, ami,
                "kubevirt-v1-8-2-" + buildId, "v1.8.2", "v1.35.0", "v1.64.0", 1.0, null, false,
                UUID.randomUUID().toString(), null), URI.create("/cib/bench"), Clock.systemUTC());
    }

    private interface Metric {
        long of(Sample sample);
    }

    private static void row(String name, List<Sample> samples, Metric metric) {
        long[] values = samples.stream().mapToLong(metric::of).sorted().toArray();
        System.out.printf("%-34s %9.1f %9.1f %9.1f %9.1f%n", name, ms(percentile(values, 0.5)),
                ms(percentile(values, 0.9)), ms(values[values.length - 1]), ms((long) Arrays.stream(values).average()
                        .orElse(0)));
    }

    /** Nearest-rank percentile of sorted values. */
    private static long percentile(long[] sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    /** One attempt nothing cancels, as the runner would start it. */
    private static <T extends io.kubevirt.cib.events.PipelineEvent> io.kubevirt.cib.common.phase.PhaseOutcome run(
            io.kubevirt.cib.common.phase.Phase<T> phase, io.kubevirt.cib.events.Envelope<T> input) {
        return phase.run(input, io.kubevirt.cib.common.phase.Attempt.uncancellable(input.id()));
    }
}
