package io.kubevirt.cib.build.crash;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.aws.Ec2Clients;
import io.kubevirt.cib.aws.Ec2Cloud;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.messaging.EventStreamClient;
import io.kubevirt.cib.devstack.KafkaBroker;
import io.kubevirt.cib.devstack.MotoServer;
import io.kubevirt.cib.devstack.SlowCloudProxy;
import io.kubevirt.cib.devstack.WorkerProcess;
import io.kubevirt.cib.events.ImageBuilt;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The broker goes away for 30 s while a build finishes, so its outcome meets a dead broker: the worker keeps trying
 * (readiness shows {@code outcome-delivery} DOWN meanwhile), and once the broker is back the image.built arrives,
 * with one event id, and the build's AMI exists once.
 */
class BrokerOutageIT {

    private static final String REGION = "us-west-1";
    private static final Duration OUTAGE = Duration.ofSeconds(30);

    private static KafkaBroker broker;
    private static MotoServer moto;
    private static SlowCloudProxy proxy;

    @BeforeAll
    static void startPeers() {
        broker = KafkaBroker.start(0);
        moto = MotoServer.start();
        proxy = SlowCloudProxy.start(moto.endpoint());
    }

    @AfterAll
    static void stopPeers() throws Exception {
        proxy.close();
        moto.close();
        broker.close();
    }

    @Test
    void anOutcomeMetByABrokerOutageArrivesOnceTheBrokerIsBack() throws Exception {
        String buildId = "outage-" + UUID.randomUUID().toString().substring(0, 8);
        Path logs = Files.createDirectories(Path.of("target/broker-outage-it"));
        int http = freePort();
        proxy.delay("StopInstances", Duration.ofSeconds(5));

        try (EventStreamClient stream = new EventStreamClient(broker.bootstrapServers());
                Ec2Cloud ec2 = new Ec2Cloud(Ec2Clients.create(Optional.of(URI.create(moto.endpoint()))));
                WorkerProcess worker = WorkerProcess.start(properties(http), Map.of(), logs.resolve("worker.log"))) {
            worker.awaitLogLine("partitions assigned", Duration.ofSeconds(60));
            stream.send(EmulatedBuildWorker.request(buildId, "broker-outage-test"));
            EmulatedBuildWorker.awaitAnyBuildInstance(ec2, List.of(buildId), Duration.ofSeconds(90));

            broker.stopServing();
            Instant stopped = Instant.now();
            String readiness = awaitReadiness(http, "\"outcome-delivery\"", "DOWN", OUTAGE);
            Duration left = OUTAGE.minus(Duration.between(stopped, Instant.now()));
            if (!left.isNegative()) {
                Thread.sleep(left.toMillis());
            }
            broker.resumeServing();

            stream.awaitEvents(ImageBuilt.class, buildId, 1, Duration.ofSeconds(120));
            List<ConsumerRecord<String, String>> built = stream.records("image.built", r -> buildId.equals(r.key()),
                    Duration.ofSeconds(3));
            System.out.printf("BrokerOutageIT: %d image.built record(s) after a %d s outage%n", built.size(),
                    OUTAGE.toSeconds());
            assertThat(readiness).contains("DOWN");
            assertThat(built).extracting(r -> new String(r.headers().lastHeader("ce_id").value())).containsOnly(
                    new String(built.get(0).headers().lastHeader("ce_id").value()));
            assertThat(ec2.findImages(REGION, Map.of(ResourceTags.BUILD_ID, buildId))).hasSize(1);
            assertThat(awaitReadiness(http, "\"outcome-delivery\"", "UP", Duration.ofSeconds(60))).isNotNull();
        }
    }

    /** Polls readiness until the check named {@code check} reports {@code status}; returns the body. */
    private static String awaitReadiness(int port, String check, String status, Duration timeout) throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        Instant giveUp = Instant.now().plus(timeout);
        String body = "";
        while (Instant.now().isBefore(giveUp)) {
            try {
                body = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/group/outcome-delivery"))
                        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString()).body();
                int at = body.indexOf(check);
                if (at >= 0 && body.substring(at, Math.min(body.length(), at + 200)).contains("\"" + status + "\"")) {
                    return body;
                }
            } catch (java.io.IOException e) {
                // not up yet
            }
            Thread.sleep(250);
        }
        throw new AssertionError(check + " never reported " + status + "; last readiness: " + body);
    }

    private static int freePort() throws java.io.IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static Map<String, String> properties(int http) {
        Map<String, String> props = EmulatedBuildWorker.properties(broker.bootstrapServers(), proxy.endpoint(),
                "target/broker-outage-it/packer");
        props.put("cib.messaging.delivery-timeout", "5s");
        props.put("cib.messaging.retry-max-delay", "5s");
        props.put("quarkus.http.port", Integer.toString(http));
        props.put("quarkus.http.host", "127.0.0.1");
        return props;
    }
}
