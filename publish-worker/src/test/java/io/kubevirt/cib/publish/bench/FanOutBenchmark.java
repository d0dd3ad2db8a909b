package io.kubevirt.cib.publish.bench;

import io.kubevirt.cib.aws.Ec2AccountSettings;
import io.kubevirt.cib.aws.Ec2Clients;
import io.kubevirt.cib.aws.Ec2Cloud;
import io.kubevirt.cib.aws.Ec2ImageCopies;
import io.kubevirt.cib.aws.Ec2LaunchPermissions;
import io.kubevirt.cib.aws.Ec2RegionDirectory;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.cloud.VerifiedMarker;
import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.devstack.MotoServer;
import io.kubevirt.cib.devstack.PublishAnswers;
import io.kubevirt.cib.devstack.SlowCloudProxy;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ReleaseTagged;
import io.kubevirt.cib.publish.domain.PublishCoordinator;
import io.kubevirt.cib.publish.domain.PublishSettings;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.model.InstanceType;
import software.amazon.awssdk.services.ec2.model.Tag;

/**
 * Printed, not asserted: wall time to publish to every enabled moto region of the partition, each region's
 * CopyImage held back by the proxy for its own time (1 s to 4 s), next to the slowest region published alone and a
 * sequential loop (one copy at a time) over the same regions. Target (issue 7): all regions within 1.1 x the slowest
 * copy plus one poll interval of the copy waiter. Also printed: the same fan-out without injected latency, which is
 * what the emulator and the calls around the copies cost on this machine.
 */
class FanOutBenchmark {

    private static final Duration POLL = Duration.ofMillis(200);

    @Test
    void fanOutVersusSlowestCopyVersusSequential() {
        try (MotoServer moto = MotoServer.start();
                SlowCloudProxy proxy = PublishAnswers.answerWhatMotoLacks(SlowCloudProxy.start(moto.endpoint()));
                Ec2Clients clients = Ec2Clients.create(Optional.of(URI.create(proxy.endpoint())))) {
            List<String> regions = new Ec2RegionDirectory(clients).regions("us-west-1").stream()
                    .filter(r -> r.enabled()).map(r -> r.name()).filter(r -> !r.equals("us-west-1")).sorted().toList();
            // Warm every region's moto catalogue first, so the runs measure copies, not moto's first-use cost.
            publish(clients, "v1.7.0", 64, Set.of());
            long baseline = publish(clients, "v1.7.1", 64, Set.of());
            String slowestRegion = null;
            Duration slowest = Duration.ZERO;
            for (int i = 0; i < regions.size(); i++) {
                Duration latency = Duration.ofMillis(1000 + (i % 4) * 1000L);
                proxy.delay("CopyImage", regions.get(i), latency);
                if (latency.compareTo(slowest) > 0) {
                    slowest = latency;
                    slowestRegion = regions.get(i);
                }
            }
            long single = publish(clients, "v1.7.2", 1, Set.of("us-west-1", slowestRegion));
            long fanOut = publish(clients, "v1.7.3", 64, Set.of());
            long sequential = publish(clients, "v1.7.4", 1, Set.of());
            System.out.printf("%npublish-worker fan-out benchmark (moto, %d enabled regions plus the source, CopyImage "
                    + "held 1-4 s per region, copy waiter polls every %d ms)%n"
                    + "  all regions concurrently:      %6d ms%n"
                    + "  slowest region alone (%s): %6d ms%n"
                    + "  sequential loop:               %6d ms%n"
                    + "  all regions, no copy latency:  %6d ms  (emulator and calls around the copies)%n"
                    + "  fan-out / slowest alone: %.2f; target 1.1 x slowest + one poll = %d ms: %s%n%n",
                    regions.size(), POLL.toMillis(), fanOut, slowestRegion, single, sequential, baseline,
                    (double) fanOut / single, (long) (1.1 * single) + POLL.toMillis(),
                    fanOut <= 1.1 * single + POLL.toMillis() ? "met" : "missed");
        }
    }

    /** Publishes a fresh verified image of {@code version}; returns the phase's wall time in milliseconds. */
    private static long publish(Ec2Clients clients, String version, int concurrency, Set<String> allow) {
        seed(clients, version);
        Ec2Cloud images = new Ec2Cloud(clients);
        PublishCoordinator coordinator = new PublishCoordinator(new PublishCoordinator.AwsPorts(images,
                new Ec2RegionDirectory(clients), new Ec2ImageCopies(clients, POLL),
                new Ec2LaunchPermissions(clients), new Ec2AccountSettings(clients)),
                new PublishSettings("us-west-1", allow, Set.of(), Duration.ofMinutes(5), concurrency, Optional.empty(),
                        "us-central1"), Clock.systemUTC(), (b, m) -> { });
        Envelope<ReleaseTagged> input = Envelope.create(new ReleaseTagged(EventType.CURRENT_VERSION,
                "bench-" + version.replace('.', '-'), version, version, List.of(Cloud.AWS), null, null, null),
                URI.create("/bench"), Clock.systemUTC());
        long start = System.nanoTime();
        coordinator.run(input, Attempt.uncancellable(input.id()));
        return Duration.ofNanos(System.nanoTime() - start).toMillis();
    }

    private static String seed(Ec2Clients clients, String version) {
        var ec2 = clients.forRegion("us-west-1");
        String instance = ec2.runInstances(r -> r.imageId(MotoServer.BASE_AMI_ID).instanceType(InstanceType.T3_MICRO)
                .minCount(1).maxCount(1)).instances().get(0).instanceId();
        String image = ec2.createImage(r -> r.instanceId(instance).name("bench-" + version)).imageId();
        ec2.terminateInstances(r -> r.instanceIds(instance));
        Map<String, String> tags = new HashMap<>(Map.of(ResourceTags.KUBEVIRT_VERSION, version));
        tags.putAll(new VerifiedMarker("bench", version, null, null, "evt", Clock.systemUTC().instant()).tags());
        ec2.createTags(r -> r.resources(image).tags(tags.entrySet().stream()
                .map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList()));
        return image;
    }
}
