package io.kubevirt.cib.verify.domain.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The shipped script and the stand-ins must stay shellcheck-clean; shellcheck missing is a failure, not a skip. */
class VerifyScriptTest {

    private static Path resource(String name) throws URISyntaxException {
        URL url = VerifyScriptTest.class.getResource(name);
        assertThat(url).as(name + " on the classpath").isNotNull();
        return Path.of(url.toURI());
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            fail(command.get(0) + " is not installed; it is required to check the verification script (" + e
                    .getMessage() + ")");
            throw e;
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("%s said:%n%s", command, output).isZero();
        return output;
    }

    @Test
    void scriptAndStandInsAreShellcheckClean() throws Exception {
        List<String> command = new ArrayList<>(List.of("shellcheck", "-x", "--shell=bash", "--severity=style"));
        command.add(resource(VerificationScriptRun.SCRIPT_RESOURCE).toString());
        // The stand-in tools ship in dev-stack (StandInGuest); check its sources, not a copy inside a jar.
        Path tools = Path.of("../dev-stack/src/main/resources/standin-cluster/bin").toAbsolutePath().normalize();
        for (String tool : List.of("kubectl", "virtctl", "sudo")) {
            assertThat(tools.resolve(tool)).exists();
            command.add(tools.resolve(tool).toString());
        }
        run(command);
    }

    @Test
    void scriptParsesAndRefusesBadArgumentsBeforeTouchingTheCluster() throws Exception {
        Path script = resource(VerificationScriptRun.SCRIPT_RESOURCE);
        run(List.of("bash", "-n", script.toString()));
        Process process = new ProcessBuilder("bash", script.toString(), "--namespace", "Not_A_Label")
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(2);
        assertThat(output).contains("is not a DNS-1123 label").doesNotContain("CIB-STEP");
    }

    @Test
    void everyStepTheParserExpectsIsInTheScript() throws Exception {
        String script = Files.readString(resource(VerificationScriptRun.SCRIPT_RESOURCE));
        for (String step : VerificationScriptRun.STEPS) {
            assertThat(script).contains("run_step " + step + " ");
        }
    }
}
