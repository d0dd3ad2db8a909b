package io.kubevirt.cib.build.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StartupCheckTest {

    @TempDir
    Path dir;
    private Path templates;
    private Path bin;

    @BeforeEach
    void layout() throws IOException {
        templates = Files.createDirectories(dir.resolve("packer"));
        Files.writeString(templates.resolve("build.pkr.hcl"), "build {}\n");
        bin = Files.createDirectories(dir.resolve("bin"));
        Path packer = Files.writeString(bin.resolve("packer"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(packer, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private StartupCheck check(Set<String> clouds, Path templateDir, String binary, Optional<String> project,
            Optional<String> awsProblem, Optional<String> gcpProblem) {
        return new StartupCheck(clouds, templateDir, binary, List.of(bin), project, () -> awsProblem,
                () -> gcpProblem, Duration.ofMinutes(4), Duration.ofMinutes(4));
    }

    @Test
    void usableConfigurationHasNoProblems() {
        assertThat(check(Set.of("aws", "gcp"), templates, "packer", Optional.of("my-project"), Optional.empty(),
                Optional.empty()).problems()).isEmpty();
        assertThat(check(Set.of("aws"), templates, bin.resolve("packer").toString(), Optional.empty(),
                Optional.empty(), Optional.of("never asked")).problems()).isEmpty();
    }

    @Test
    void missingTemplateDirectoryOrTemplatesAreRefused() throws IOException {
        assertThat(check(Set.of("aws"), dir.resolve("nope"), "packer", Optional.empty(), Optional.empty(),
                Optional.empty()).problems()).singleElement().asString()
                .contains("cib.build.packer.template-dir", "is not a directory");
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertThat(check(Set.of("aws"), empty, "packer", Optional.empty(), Optional.empty(), Optional.empty())
                .problems()).singleElement().asString().contains("no *.pkr.hcl");
    }

    @Test
    void missingPackerBinaryIsRefused() {
        assertThat(check(Set.of("aws"), templates, "packer-that-is-not-there", Optional.empty(), Optional.empty(),
                Optional.empty()).problems()).singleElement().asString()
                .contains("cib.build.packer.binary", "not on the PATH");
        assertThat(check(Set.of("aws"), templates, "/no/such/packer", Optional.empty(), Optional.empty(),
                Optional.empty()).problems()).singleElement().asString().contains("not an executable file");
    }

    @Test
    void enabledCloudWithoutCredentialsOrProjectIsRefused() {
        assertThat(check(Set.of("aws"), templates, "packer", Optional.empty(),
                Optional.of("Unable to load credentials from any of the providers in the chain"), Optional.empty())
                .problems()).singleElement().asString().contains("AWS is enabled", "Unable to load credentials");
        assertThat(check(Set.of("gcp"), templates, "packer", Optional.empty(), Optional.of("not asked"),
                Optional.of("The Application Default Credentials are not available")).problems())
                .hasSize(2)
                .anySatisfy(p -> assertThat(p).contains("cib.gcp.project"))
                .anySatisfy(p -> assertThat(p).contains("application default credentials"));
    }

    @Test
    void unknownCloudAndTooShortRevokeGraceAreRefused() {
        var check = new StartupCheck(Set.of("azure"), templates, "packer", List.of(bin), Optional.empty(),
                Optional::empty, Optional::empty, Duration.ofMinutes(4), Duration.ofMinutes(1));
        assertThat(check.problems()).hasSize(2)
                .anySatisfy(p -> assertThat(p).contains("unknown cloud 'azure'"))
                .anySatisfy(p -> assertThat(p).contains("cib.messaging.revoke-grace"));
    }
}
