package io.kubevirt.cib.devstack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Clean-up after JVMs that died without running their shutdown hooks (SIGKILL, a Surefire fork killed on
 * timeout): their temp directories stay behind, and so would a moto child process. Each directory records the
 * owning JVM's PID and the child's; the next start removes what belongs to dead JVMs.
 */
final class StaleResources {

    static final String KAFKA_PREFIX = "cib-kafka-";
    static final String MOTO_PREFIX = "cib-moto-";
    private static final String OWNER_FILE = "owner.pid";

    private StaleResources() {
    }

    /** Records this JVM (and the child process, or -1) as owner of {@code dir}. */
    static void markOwned(Path dir, long childPid) {
        try {
            Files.writeString(dir.resolve(OWNER_FILE), ProcessHandle.current().pid() + " " + childPid,
                    StandardCharsets.US_ASCII);
        } catch (IOException ignored) {
            // without the marker the directory is merely never reaped
        }
    }

    /** Deletes directories with {@code prefix} whose owner JVM is gone, killing a moto they left running. */
    static void reap(String prefix) {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, prefix + "*")) {
            for (Path dir : dirs) {
                owner(dir).ifPresent(pids -> {
                    if (alive(pids[0])) {
                        return;
                    }
                    if (pids[1] > 0) {
                        // Only a process that still looks like our moto: PIDs get reused.
                        ProcessHandle.of(pids[1])
                                .filter(h -> h.info().commandLine().orElse("").contains("moto.server"))
                                .ifPresent(ProcessHandle::destroyForcibly);
                    }
                    KafkaBroker.deleteRecursively(dir);
                });
            }
        } catch (IOException | RuntimeException ignored) {
            // best effort
        }
    }

    private static Optional<long[]> owner(Path dir) {
        try {
            String[] parts = Files.readString(dir.resolve(OWNER_FILE), StandardCharsets.US_ASCII).strip().split(" ");
            return Optional.of(new long[] {Long.parseLong(parts[0]), Long.parseLong(parts[1])});
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
