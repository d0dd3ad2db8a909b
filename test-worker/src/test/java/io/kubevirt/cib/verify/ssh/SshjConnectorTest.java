package io.kubevirt.cib.verify.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubevirt.cib.verify.domain.HostKeyMismatchException;
import io.kubevirt.cib.verify.domain.RemoteShell;
import io.kubevirt.cib.verify.domain.RemoteShell.ExecResult;
import io.kubevirt.cib.verify.domain.SshIdentity;
import io.kubevirt.cib.verify.domain.SshTarget;
import io.kubevirt.cib.verify.domain.SshUnavailableException;
import io.kubevirt.cib.devstack.guest.StandInGuest;
import io.kubevirt.cib.verify.testing.StandInTargets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** sshj against the in-process MINA stand-in: the real client, a real server. */
@Timeout(60)
class SshjConnectorTest {

    private static final Duration CONNECT = Duration.ofSeconds(5);
    private final SshIdentity identity = SshKeyPairs.generate("sshj-connector-test");
    private final SshjConnector connector = new SshjConnector(CONNECT, Duration.ofSeconds(2));

    @Test
    void runsACommandWithStdinAndReportsItsExitCode() throws Exception {
        try (StandInGuest instance = StandInGuest.builder(identity.publicKeyLine()).start();
                RemoteShell shell = connector.connect(StandInTargets.target(instance, identity))) {
            List<String> lines = Collections.synchronizedList(new ArrayList<>());

            ExecResult result = shell.run("cat; echo 'to stderr' >&2; exit 3", "hello\nworld\n", Duration.ofSeconds(10),
                    lines::add);

            assertThat(result).isEqualTo(new ExecResult(3, false));
            assertThat(lines).containsExactlyInAnyOrder("hello", "world", "to stderr");
            // A second command on the same connection.
            assertThat(shell.run("true", null, Duration.ofSeconds(5), l -> { })).isEqualTo(new ExecResult(0, false));
        }
    }

    @Test
    void streamsLinesAsTheyArrive() throws Exception {
        try (StandInGuest instance = StandInGuest.builder(identity.publicKeyLine()).start();
                RemoteShell shell = connector.connect(StandInTargets.target(instance, identity))) {
            List<Long> arrivals = Collections.synchronizedList(new ArrayList<>());
            long start = System.nanoTime();

            ExecResult result = shell.run("echo first; sleep 1.5; echo second", null, Duration.ofSeconds(10),
                    line -> arrivals.add((System.nanoTime() - start) / 1_000_000));
            long finished = (System.nanoTime() - start) / 1_000_000;

            assertThat(result.exitCode()).isZero();
            assertThat(arrivals).hasSize(2);
            assertThat(finished - arrivals.get(0)).as("first line came long before the end").isGreaterThan(1000);
        }
    }

    @Test
    void aTimeoutKillsTheRemoteCommand() throws Exception {
        try (StandInGuest instance = StandInGuest.builder(identity.publicKeyLine()).start();
                RemoteShell shell = connector.connect(StandInTargets.target(instance, identity))) {
            Path pidFile = instance.stateDir().resolve("sleeper.pid");
            long start = System.nanoTime();

            ExecResult result = shell.run("echo $$ > " + pidFile + "; exec sleep 30", null, Duration.ofSeconds(1),
                    line -> { });
            long tookMs = (System.nanoTime() - start) / 1_000_000;

            assertThat(result).isEqualTo(new ExecResult(null, true));
            assertThat(tookMs).isBetween(900L, 4000L);
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            Optional<ProcessHandle> sleeper = ProcessHandle.of(pid);
            assertThat(sleeper.map(ProcessHandle::isAlive).orElse(false)).as("remote sleep still running").isFalse();
            // The connection is still usable afterwards.
            assertThat(shell.run("echo ok", null, Duration.ofSeconds(5), l -> { }).exitCode()).isZero();
        }
    }

    @Test
    void negotiatesThePinnedTypeWhenTheServerPrefersAnother() throws Exception {
        // sshj prefers ssh-ed25519 over ECDSA; the server holds both and the cloud reported only the ECDSA key.
        try (StandInGuest instance = StandInGuest.builder(identity.publicKeyLine())
                .alsoHostKey(KeyPairProvider.SSH_ED25519).alsoHostKey(KeyPairProvider.SSH_RSA).start();
                RemoteShell shell = connector.connect(StandInTargets.target(instance, identity))) {
            assertThat(instance.reportedHostKeyLine()).startsWith("ecdsa-sha2-nistp256 ");
            assertThat(shell.run("true", null, Duration.ofSeconds(5), l -> { }).exitCode()).isZero();
        }
        try (StandInGuest instance = StandInGuest.builder(identity.publicKeyLine())
                .hostKeyType(KeyPairProvider.SSH_RSA).alsoHostKey(KeyPairProvider.SSH_ED25519).start();
                RemoteShell shell = connector.connect(StandInTargets.target(instance, identity))) {
            assertThat(shell.run("true", null, Duration.ofSeconds(5), l -> { }).exitCode()).isZero();
        }
    }

    @Test
    void aDifferentHostKeyIsAMismatchNamingBothFingerprints() throws Exception {
        try (StandInGuest instance = StandInGuest.builder(identity.publicKeyLine()).presentDifferentHostKey()
                .start()) {
            String presented = KeyUtils.getFingerPrint(PublicKeyEntry.parsePublicKeyEntry(instance
                    .presentedHostKeyLine()).resolvePublicKey(null, null, PublicKeyEntryResolver.FAILING));
            String reported = KeyUtils.getFingerPrint(PublicKeyEntry.parsePublicKeyEntry(instance
                    .reportedHostKeyLine()).resolvePublicKey(null, null, PublicKeyEntryResolver.FAILING));

            assertThatThrownBy(() -> connector.connect(StandInTargets.target(instance, identity)))
                    .isInstanceOf(HostKeyMismatchException.class)
                    .hasMessageContaining("server offered ecdsa-sha2-nistp256 " + presented)
                    .hasMessageContaining("pinned ecdsa-sha2-nistp256 " + reported)
                    .satisfies(e -> assertThat(e.getMessage())
                            .doesNotContain(instance.presentedHostKeyLine().split(" ")[1])
                            .doesNotContain(instance.reportedHostKeyLine().split(" ")[1]));
            assertThat(instance.commandsRun()).isZero();
        }
    }

    @Test
    void aServerWithoutAnyPinnedKeyTypeIsAMismatch() throws Exception {
        try (StandInGuest instance = StandInGuest.builder(identity.publicKeyLine()).start()) {
            String someRsaKey = PublicKeyEntry.toString(KeyUtils.generateKeyPair("ssh-rsa", 2048).getPublic());
            SshTarget target = new SshTarget(instance.host(), instance.port(), instance.user(), identity,
                    List.of(someRsaKey));

            assertThatThrownBy(() -> connector.connect(target)).isInstanceOf(HostKeyMismatchException.class)
                    .hasMessageContaining("offers none of the pinned host key types [ssh-rsa]");
        }
    }

    @Test
    void aRejectedLoginIsRetryable() throws Exception {
        SshIdentity stranger = SshKeyPairs.generate("stranger");
        try (StandInGuest instance = StandInGuest.builder(identity.publicKeyLine()).start()) {
            assertThatThrownBy(() -> connector.connect(StandInTargets.target(instance, stranger)))
                    .isInstanceOf(SshUnavailableException.class)
                    .hasMessageContaining("SSH login as cib at 127.0.0.1:" + instance.port() + " failed");
        }
    }

    @Test
    void aRefusedConnectionIsRetryable() throws Exception {
        try (StandInGuest instance = StandInGuest.builder(identity.publicKeyLine()).neverListen().start()) {
            assertThatThrownBy(() -> connector.connect(StandInTargets.target(instance, identity)))
                    .isInstanceOf(SshUnavailableException.class)
                    .hasMessageContaining("cannot open SSH to 127.0.0.1:" + instance.port())
                    .hasMessageContaining("Connection refused");
        }
    }

    @Test
    void aClosedShellRefusesToRun() throws Exception {
        try (StandInGuest instance = StandInGuest.builder(identity.publicKeyLine()).start()) {
            RemoteShell shell = connector.connect(StandInTargets.target(instance, identity));
            shell.close();
            shell.close();

            assertThatThrownBy(() -> shell.run("true", null, Duration.ofSeconds(1), l -> { }))
                    .isInstanceOf(SshUnavailableException.class).hasMessageContaining("is closed");
        }
    }

    @Test
    void aServerThatGoesAwayMidCommandIsUnavailableNotAHang() throws Exception {
        StandInGuest instance = StandInGuest.builder(identity.publicKeyLine()).start();
        RemoteShell shell = connector.connect(StandInTargets.target(instance, identity));
        Thread stopper = new Thread(() -> {
            try {
                Thread.sleep(500);
                instance.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        stopper.start();
        long start = System.nanoTime();

        assertThatThrownBy(() -> shell.run("sleep 20", null, Duration.ofSeconds(20), l -> { }))
                .isInstanceOf(SshUnavailableException.class).hasMessageContaining("lost");
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(10_000);
        stopper.join();
        shell.close();
    }
}
