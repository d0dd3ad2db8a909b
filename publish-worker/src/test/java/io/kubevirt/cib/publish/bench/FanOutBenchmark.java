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
 * Printed, not asserted: wall time to publish to every enabled moto region of the partition with a copy latency
 * injected by the proxy (CopyImage held back), next to one single copy and a sequential loop (one copy at a time).
 * The proxy delays per action, so every region's copy takes the same injected time here.
 */
class FanOutBenchmark {

    private static final Duration COPY_LATENCY = Duration.ofSeconds(2);

    @Test
    void fanOutVersusSlowestCopyVersusSequential() {
        try (MotoServer moto = MotoServer.start(); SlowCloudProxy proxy = SlowCloudProxy.start(moto.endpoint())) {
            proxy.answer("GetImageBlockPublicAccessState", "<GetImageBlockPublicAccessStateResponse "
                    + "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>cib</requestId>"
                    + "<imageBlockPublicAccessState>unblocked</imageBlockPublicAccessState>"
                    + "</GetImageBlockPublicAccessStateResponse>");
            Ec2Clients clients = Ec2Clients.create(Optional.of(URI.create(proxy.endpoint())));
            int regions = (int) new Ec2RegionDirectory(clients).regions("us-west-1").stream()
                    .filter(r -> r.enabled()).count();
            // Warm every region's moto catalogue first, so the runs measure copies, not moto's first-use cost.
            publish(clients, moto, "v1.7.0", 64, Set.of());
            proxy.delay("CopyImage", COPY_LATENCY);
            long single = publish(clients, moto, "v1.7.1", 1, Set.of("us-west-1", "eu-west-1"));
            long fanOut = publish(clients, moto, "v1.7.2", 64, Set.of());
            long sequential = publish(clients, moto, "v1.7.3", 1, Set.of());
            System.out.printf("%npublish-worker fan-out benchmark (moto, %d enabled regions incl. source, injected "
                    + "copy latency %d ms)%n  all regions concurrently: %6d ms%n  one single copy:           %6d ms%n"
                    + "  sequential loop:           %6d ms%n  fan-out / single copy:     %6.2f%n%n", regions,
                    COPY_LATENCY.toMillis(), fanOut, single, sequential, (double) fanOut / single);
            clients.close();
        }
    }

    private static long publish(Ec2Clients clients, MotoServer moto, String version, int concurrency,
            Set<String> allow) {
        String image = seed(clients, version);
        Ec2Cloud images = new Ec2Cloud(clients);
        PublishCoordinator coordinator = new PublishCoordinator(new PublishCoordinator.AwsPorts(images,
                new Ec2RegionDirectory(clients), new Ec2ImageCopies(clients, Duration.ofMillis(200)),
                new Ec2LaunchPermissions(clients), new Ec2AccountSettings(clients)),
                new PublishSettings("us-west-1", allow, Set.of(), Duration.ofMinutes(5), concurrency, Optional.empty(),
                        "us-central1"), Clock.systemUTC(), (b, m) -> { });
        Envelope<ReleaseTagged> input = Envelope.create(new ReleaseTagged(EventType.CURRENT_VERSION,
                "bench-" + version.replace('.', '-'), version, version, List.of(Cloud.AWS), null, null, null),
                URI.create("/bench"), Clock.systemUTC());
        long start = System.nanoTime();
        coordinator.run(input, Attempt.uncancellable(input.id()));
        return Duration.ofNanos(System.nanoTime() - start).toMillis() + 0 * image.length();
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
