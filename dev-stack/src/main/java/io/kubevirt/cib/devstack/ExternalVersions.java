package io.kubevirt.cib.devstack;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.common.utils.AppInfoParser;

/**
 * Every version of an external program or server the tests and the local run rely on, in one place
 * (like Debezium's pinned test-container versions). Bump here, then run dev-stack's tests.
 */
public final class ExternalVersions {

    /** In-process Kafka broker. Must equal the kafka-clients the Quarkus BOM manages: the broker uses internal APIs. */
    public static final String KAFKA = "4.1.2";
    /** Quarkus platform whose BOM fixes kafka-clients (newer platforms miss artifacts on our mirror). */
    public static final String QUARKUS_PLATFORM = "3.33.2";
    /** moto_server the AWS tests run against; its quirks are documented against this version. */
    public static final String MOTO = "5.2.1";
    /** Oldest Packer the amazon-ebs templates are tested with (Debian's package). */
    public static final String PACKER_MIN = "1.6.6";
    /** moto 5.2 needs at least this Python. */
    public static final String PYTHON_MIN = "3.9";
    /** Ubuntu release of the base AMI in the moto catalogue (see {@link MotoServer#BASE_AMI_ID}). */
    public static final String UBUNTU_BASE = "24.04";

    private static final Pattern PACKER_VERSION = Pattern.compile("Packer v?(\\d+(?:\\.\\d+)*)");

    private ExternalVersions() {
    }

    /** Version of the kafka-clients jar on the classpath. */
    public static String kafkaClientsVersion() {
        return AppInfoParser.getVersion();
    }

    /** Version of the kafka_2.13 (broker) jar on the classpath, from its manifest; empty if unreadable. */
    public static Optional<String> kafkaBrokerVersion() {
        URL cls = kafka.server.KafkaRaftServer.class.getResource("KafkaRaftServer.class");
        if (cls == null || !"jar".equals(cls.getProtocol())) {
            return Optional.empty();
        }
        String s = cls.toString();
        try (InputStream in = new URL(s.substring(0, s.indexOf("!/") + 2) + "META-INF/MANIFEST.MF").openStream()) {
            return Optional.ofNullable(new Manifest(in).getMainAttributes().getValue("Version"));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Fails when broker and client jars differ: the embedded broker calls internal APIs that change every release. */
    public static void requireKafkaBrokerMatchesClients() {
        String clients = kafkaClientsVersion();
        kafkaBrokerVersion().ifPresent(broker -> {
            if (!broker.equals(clients)) {
                throw new IllegalStateException("Kafka broker jar " + broker + " != kafka-clients " + clients
                        + ": keep ${kafka.version} equal to the kafka-clients the Quarkus BOM manages");
            }
        });
    }

    /** moto version importable by {@code python}, or empty when moto or Python is missing. */
    public static Optional<String> installedMotoVersion(String python) {
        return run(List.of(python, "-c", "import moto; print(moto.__version__)")).map(String::strip);
    }

    /** Version of {@code packer} on the PATH, or empty when it is not installed. */
    public static Optional<String> installedPackerVersion() {
        return run(List.of("packer", "version")).flatMap(out -> {
            Matcher m = PACKER_VERSION.matcher(out);
            return m.find() ? Optional.of(m.group(1)) : Optional.empty();
        });
    }

    /** Numeric comparison of dotted versions ("1.10.0" > "1.6.6"); a non-numeric part counts as 0. */
    public static int compare(String a, String b) {
        String[] x = a.split("[.-]");
        String[] y = b.split("[.-]");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int c = Integer.compare(part(x, i), part(y, i));
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    private static int part(String[] parts, int i) {
        if (i >= parts.length) {
            return 0;
        }
        try {
            return Integer.parseInt(parts[i]);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static Optional<String> run(List<String> command) {
        try {
            Process p = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Optional.empty();
            }
            return p.exitValue() == 0 ? Optional.of(new String(out, StandardCharsets.UTF_8)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
