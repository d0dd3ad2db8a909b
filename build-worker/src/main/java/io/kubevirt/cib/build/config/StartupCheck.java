package io.kubevirt.cib.build.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Configuration a build-worker cannot work with, found before it takes any request: without this, the first
 * build.requested would discover it (and end as a build.failed for a worker fault, or worse, as a crash loop on one
 * event). Plain Java: every input is given, so it is tested without Quarkus; {@link StartupRefusal} feeds it.
 *
 * @param clouds {@code cib.build.clouds}
 * @param awsCredentials why no AWS credentials resolve (empty when they do); asked only when AWS is enabled
 * @param gcpCredentials why no GCP application default credentials resolve; asked only when GCP is enabled
 * @param path the directories {@code PATH} names, to find a bare packer binary name
 */
public record StartupCheck(
        Set<String> clouds,
        Path templateDir,
        String packerBinary,
        List<Path> path,
        Optional<String> gcpProject,
        Supplier<Optional<String>> awsCredentials,
        Supplier<Optional<String>> gcpCredentials,
        Duration interruptGrace,
        Duration revokeGrace) {

    static final Set<String> KNOWN_CLOUDS = Set.of("aws", "gcp");

    /** Every problem, each one sentence naming the property to fix; empty when the worker can start. */
    public List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (clouds.isEmpty()) {
            problems.add("cib.build.clouds names no cloud");
        }
        clouds.stream().filter(c -> !KNOWN_CLOUDS.contains(c)).forEach(c -> problems.add(
                "cib.build.clouds names unknown cloud '" + c + "' (known: aws, gcp)"));
        templateProblem().ifPresent(problems::add);
        if (findPacker().isEmpty()) {
            problems.add("no Packer binary: cib.build.packer.binary=" + packerBinary
                    + (packerBinary.contains("/") ? " is not an executable file" : " is not on the PATH"));
        }
        if (clouds.contains("aws")) {
            awsCredentials.get().ifPresent(why -> problems.add("AWS is enabled (cib.build.clouds) but has no "
                    + "credentials (environment, profile, web identity or instance role): " + why));
        }
        if (clouds.contains("gcp")) {
            if (gcpProject.filter(p -> !p.isBlank()).isEmpty()) {
                problems.add("GCP is enabled (cib.build.clouds) but cib.gcp.project (env CIB_GCP_PROJECT) is not set");
            }
            gcpCredentials.get().ifPresent(why -> problems.add("GCP is enabled (cib.build.clouds) but has no "
                    + "application default credentials (GOOGLE_APPLICATION_CREDENTIALS or workload identity): " + why));
        }
        if (revokeGrace.compareTo(interruptGrace) < 0) {
            problems.add("cib.messaging.revoke-grace (" + revokeGrace + ") is shorter than "
                    + "cib.build.packer.interrupt-grace (" + interruptGrace + "): a stopping worker would not wait "
                    + "for Packer to clean up");
        }
        return problems;
    }

    private Optional<String> templateProblem() {
        Path dir = templateDir.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            return Optional.of("cib.build.packer.template-dir " + dir + " is not a directory");
        }
        try (Stream<Path> files = Files.list(dir)) {
            if (files.noneMatch(f -> f.getFileName().toString().endsWith(".pkr.hcl"))) {
                return Optional.of("cib.build.packer.template-dir " + dir + " holds no *.pkr.hcl template");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Optional.empty();
    }

    /** The executable Packer would run as. */
    Optional<Path> findPacker() {
        if (packerBinary.contains("/")) {
            Path binary = Path.of(packerBinary);
            return Files.isRegularFile(binary) && Files.isExecutable(binary) ? Optional.of(binary) : Optional.empty();
        }
        return path.stream().map(dir -> dir.resolve(packerBinary))
                .filter(f -> Files.isRegularFile(f) && Files.isExecutable(f))
                .findFirst();
    }

    /** The directories of a {@code PATH} value. */
    static List<Path> pathOf(String value) {
        if (value == null || value.isBlank()) {
            return List.of();
        }
        return Stream.of(value.split(java.io.File.pathSeparator)).filter(s -> !s.isBlank()).map(Path::of).toList();
    }
}
