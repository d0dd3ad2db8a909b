package io.kubevirt.cib.build.startup;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.devstack.WorkerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The packaged worker, given configuration it cannot work with, stops at boot and says why. */
class BuildWorkerStartupRefusalIT {

    @Test
    void unusableConfigurationStopsTheBootWithTheReasons() throws Exception {
        Path logs = Files.createDirectories(Path.of("target/startup-it"));
        Map<String, String> props = new LinkedHashMap<>();
        props.put("kafka.bootstrap.servers", "127.0.0.1:1");
        props.put("quarkus.http.port", "0");
        props.put("quarkus.http.host", "127.0.0.1");
        props.put("cib.build.clouds", "aws,gcp");
        props.put("cib.build.packer.template-dir", "/nonexistent/cib-packer-templates");
        props.put("cib.build.packer.binary", "/nonexistent/packer");
        // AWS against an emulator needs no real credentials; GCP has neither project nor credentials.
        props.put("cib.aws.endpoint-override", "http://127.0.0.1:1");
        Map<String, String> env = Map.of("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/key.json");

        try (WorkerProcess worker = WorkerProcess.start(props, env, logs.resolve("worker.log"))) {
            boolean ended = ProcessHandle.of(worker.pid())
                    .map(p -> p.onExit().completeOnTimeout(null, 60, TimeUnit.SECONDS).join() != null)
                    .orElse(true);
            assertThat(ended).as("the worker refused to start and exited").isTrue();
            assertThat(worker.output())
                    .contains("build-worker refuses to start")
                    .contains("cib.build.packer.template-dir /nonexistent/cib-packer-templates is not a directory")
                    .contains("cib.build.packer.binary=/nonexistent/packer is not an executable file")
                    .contains("cib.gcp.project");
        }
    }

}
