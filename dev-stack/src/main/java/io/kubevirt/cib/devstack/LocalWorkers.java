package io.kubevirt.cib.devstack;

import io.kubevirt.cib.devstack.guest.MotoWithGuest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The packaged workers against a {@link LocalStack}, configured as {@code bin/local-run} configures them, for the tests
 * that run the pipeline through real processes (one place for those flags, so the tests and the script do not drift
 * apart one copy at a time). Paths are relative to the module the test runs in: a sibling of the workers' modules.
 */
public final class LocalWorkers implements AutoCloseable {

    /** bin/local-run's AWS_REGION: the build-worker's default region and the publish-worker's source region. */
    public static final String REGION = "us-west-1";

    private final LocalStack.Running stack;
    private final Path logs;
    private final List<WorkerProcess> started = new ArrayList<>();

    public LocalWorkers(LocalStack.Running stack, Path logs) {
        this.stack = stack;
        this.logs = logs;
    }

    /** The environment of every worker in bin/local-run: moto's dummy credentials, the region. */
    public static Map<String, String> env() {
        return Map.of("AWS_ACCESS_KEY_ID", "test", "AWS_SECRET_ACCESS_KEY", "test", "AWS_REGION", REGION);
    }

    /** Flags every worker gets: the broker, its AWS endpoint, loopback HTTP on a free port. */
    public static Map<String, String> common(String bootstrap, String cloudEndpoint) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("kafka.bootstrap.servers", bootstrap);
        props.put("cib.aws.endpoint-override", cloudEndpoint);
        props.put("quarkus.http.host", "127.0.0.1");
        props.put("quarkus.http.port", "0");
        return props;
    }

    /** bin/local-run's build-worker: Packer's emulated source against moto, the template dir of the checkout. */
    public Map<String, String> buildWorker() {
        Map<String, String> props = common(stack.kafkaBootstrap(), stack.awsEndpoint());
        props.put("cib.build.packer.template-dir", Path.of("../packer").toAbsolutePath().normalize().toString());
        props.put("cib.build.packer.aws-source", "amazon-ebs.aws-emulated");
        props.put("cib.build.packer.vars.aws_source_ami", MotoServer.BASE_AMI_ID);
        props.put("cib.build.packer.work-dir", logs.resolve("packer").toAbsolutePath().toString());
        return props;
    }

    /** bin/local-run's test-worker: the %local profile, moto behind the guest's proxy, SSH to the stand-in guest. */
    public Map<String, String> testWorker() {
        MotoWithGuest guest = stack.guest().orElseThrow(() -> new IllegalStateException(
                "the test-worker needs the stand-in guest: start the LocalStack with a guest scenario"));
        Map<String, String> props = common(stack.kafkaBootstrap(), guest.cloudEndpoint());
        props.put("quarkus.profile", "local");
        props.put("cib.verify.address-override", guest.sshAddress());
        return props;
    }

    /** bin/local-run's publish-worker: moto behind the publish proxy (answers what moto lacks), these regions only. */
    public Map<String, String> publishWorker(List<String> allowRegions) {
        Map<String, String> props = common(stack.kafkaBootstrap(), stack.publishEndpoint());
        props.put("cib.aws.copy-poll-interval", "1s");
        props.put("cib.publish.aws.deprecate-after", "730d");
        props.put("cib.publish.aws.allow-regions", String.join(",", allowRegions));
        return props;
    }

    /** Starts the worker packaged in {@code ../<module>/target/quarkus-app}; its log goes to {@code <module>.log}. */
    public WorkerProcess start(String module, Map<String, String> systemProperties) throws IOException {
        WorkerProcess worker = WorkerProcess.start(Path.of("..", module, "target", "quarkus-app"), systemProperties,
                env(), logs.resolve(module + ".log"));
        started.add(worker);
        return worker;
    }

    /** Waits until every started worker has its partitions: a record sent after this is not missed. */
    public void awaitAssigned(Duration timeout) throws IOException, InterruptedException {
        for (WorkerProcess w : started) {
            w.awaitLogLine("partitions assigned", timeout);
        }
    }

    /** SIGKILL, not a graceful stop: by now the test has asserted, and graceful stops cost ~15 s each here. */
    @Override
    public void close() throws InterruptedException {
        for (WorkerProcess w : started) {
            w.kill();
        }
    }
}
