package io.kubevirt.cib.verify.domain;

import io.kubevirt.cib.common.cloud.CloudPorts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.common.cloud.CloudInstance;
import io.kubevirt.cib.common.cloud.InMemoryCloud;
import io.kubevirt.cib.common.cloud.LaunchSpec;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.cloud.VerifiedMarker;
import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.Phase;
import io.kubevirt.cib.common.phase.PhaseOutcome;
import io.kubevirt.cib.common.phase.WaitPolicy;
import io.kubevirt.cib.common.wait.GuardedWaiter;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ImageBuilt;
import io.kubevirt.cib.events.ImageVerified;
import io.kubevirt.cib.events.ImageVerified.Check;
import io.kubevirt.cib.events.ImageVerified.CheckStatus;
import io.kubevirt.cib.events.ImageVerified.FailureKind;
import io.kubevirt.cib.events.ImageVerified.FoundVersions;
import io.kubevirt.cib.verify.domain.run.VerificationReport;
import io.kubevirt.cib.verify.ssh.SshKeyPairs;
import io.kubevirt.cib.verify.testing.SecretScan;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Decision logic of one verification: the coordinator against the in-memory cloud (which passes the same contract as
 * the AWS and GCP adapters) and a scripted guest. The real SSH path is covered by the SSH and flow tests; here the
 * question is only what the coordinator decides, tags, reports and cleans up for each thing the guest can answer.
 */
@Timeout(30)
class VerificationCoordinatorTest {

    private static final String REGION = "us-west-1";
    private static final Instant START = Instant.parse("2026-11-24T10:00:00Z");
    // Real waits through the pipeline's Waiter, with budgets short enough for a unit test.
    private static final WaitPolicy HOST_KEYS = new WaitPolicy(Duration.ofMillis(10), Duration.ofMillis(40),
            Duration.ofMillis(400));
    private static final WaitPolicy CLOUD_CALLS = new WaitPolicy(Duration.ofMillis(5), Duration.ofMillis(20),
            Duration.ofMillis(300));
    private static final WaitPolicy CLEANUP = new WaitPolicy(Duration.ofMillis(5), Duration.ofMillis(20),
            Duration.ofMillis(300));
    private static final String DIGEST = "sha256:" + "3f5a0c1e9b7d2a4c".repeat(4);
    private static final String COMMIT = "9fceb02d0ae598e95dc970b74767f19372d61af8";
    private static final Duration LIFETIME = Duration.ofHours(3);
    private static final String HOST_KEY = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTY= root@guest";
    private static final VerificationSettings SETTINGS = new VerificationSettings(
            new VerificationSettings.Launch("t3.micro", 50, Optional.of("subnet-0abc"), List.of("sg-0abc"), "cib", false),
            new VerificationSettings.Launch("e2-small", 40, Optional.empty(), List.of(), "cib", true),
            HOST_KEYS, CLOUD_CALLS, CLEANUP, LIFETIME, Optional.empty());
    private static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";

    private static final List<Check> PASSED_CHECKS = List.of(
            new Check("node-ready", CheckStatus.PASSED, 1200L, "node cib Ready"),
            new Check("default-storage-class", CheckStatus.PASSED, 300L, "local-path is default"),
            new Check("datavolume-import", CheckStatus.PASSED, 9000L, "dv cirros Succeeded"),
            new Check("vmi-running", CheckStatus.PASSED, 4000L, "vmi cirros Running"),
            new Check("guest-booted", CheckStatus.PASSED, 7000L, "login as 'cirros' user"),
            new Check("cleanup", CheckStatus.PASSED, 900L, "deleted namespace"));
    private static final FoundVersions VERSIONS = new FoundVersions("v1.35.0", "v1.8.2", "v1.64.0");
    private static final VerificationReport PASSED = new VerificationReport(PASSED_CHECKS, VERSIONS, true, null);

    private final MutableClock clock = new MutableClock(START);
    private final FakeCloud cloud = new FakeCloud();
    private final ScriptedGuest guest = new ScriptedGuest();
    private final List<SshIdentity> identities = Collections.synchronizedList(new ArrayList<>());
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private final VerificationCoordinator coordinator = new VerificationCoordinator(
            Map.of(Cloud.AWS, new CloudPorts(cloud, cloud)), guest,
            () -> {
                SshIdentity identity = SshKeyPairs.generate("cib-verify");
                identities.add(identity);
                return identity;
            },
            SETTINGS, clock, new GuardedWaiter(meters), (buildId, message) -> log.add(buildId + ": " + message));

    // --- outcomes --------------------------------------------------------------------------------------------------

    @Test
    void theReleaseWaitingForTheImageTravelsOnToImageVerified() {
        String ami = seedImage("b-1");
        Envelope<ImageBuilt> event = imageBuilt("b-1", Cloud.AWS, ami);
        Envelope<ImageBuilt> forRelease = Envelope.create(event.data().withReleaseTag("v1.8.2"),
                URI.create("/cib/build-worker"), clock);

        assertThat(emitted(run(coordinator, forRelease)).releaseTag()).isEqualTo("v1.8.2");
        assertThat(((ImageVerified) coordinator.failure(forRelease,
                new Phase.Failure(Phase.Kind.UNEXPECTED, "boom", true))).releaseTag()).isEqualTo("v1.8.2");
    }

    @Test
    void aPassMarksTheImageVerifiedAndTerminatesTheInstance() {
        String ami = seedImage("b-1");
        Envelope<ImageBuilt> event = imageBuilt("b-1", Cloud.AWS, ami);

        ImageVerified verified = emitted(run(coordinator, event));

        CloudInstance instance = onlyInstance();
        assertThat(verified.outcome()).isEqualTo(ImageVerified.Outcome.PASSED);
        assertThat(verified.reason()).isNull();
        assertThat(verified.buildId()).isEqualTo("b-1");
        assertThat(verified.causedBy()).isEqualTo(event.id());
        assertThat(verified.imageId()).isEqualTo(ami);
        assertThat(verified.instanceId()).isEqualTo(instance.id());
        assertThat(verified.checks()).isEqualTo(PASSED_CHECKS);
        assertThat(verified.foundVersions()).isEqualTo(VERSIONS);
        assertThat(verified.kubevirtVersion()).isEqualTo("v1.8.2");
        assertThat(verified.retryable()).isNull();
        assertThat(verified.failureKind()).isNull();
        assertThat(imageTags(ami))
                .containsEntry(ResourceTags.VERIFIED_KUBEVIRT_VERSION, "v1.8.2")
                .containsEntry(ResourceTags.VERIFIED_BUILD_ID, "b-1")
                .containsEntry(ResourceTags.VERIFIED_BY, ResourceTags.idValue(event.id()))
                .containsEntry(ResourceTags.VERIFIED_AT, Long.toString(START.getEpochSecond()))
                .containsEntry(ResourceTags.LAST_VERIFICATION, ResourceTags.idValue(event.id()))
                .containsEntry(ResourceTags.LAST_VERIFICATION_OUTCOME, "passed");
        // Verified while the instance was up, terminated afterwards.
        assertThat(guest.instanceAliveDuringRun).containsExactly(true);
        assertThat(instance.state()).isEqualTo(CloudInstance.State.TERMINATED);
        // The marker comes only once the instance is gone: no outcome is announced with an instance still up.
        assertThat(cloud.calls()).containsSubsequence("launch " + ami, "terminate [" + instance.id() + "]",
                "tagImage " + ami);
        // The guest is reached at the instance's address as the image's user, trusting only the reported host key.
        SshTarget target = guest.targets.get(0);
        assertThat(target.host()).isEqualTo("127.0.0.1");
        assertThat(target.port()).isEqualTo(22);
        assertThat(target.user()).isEqualTo("cib");
        assertThat(target.pinnedHostKeys()).containsExactly(HOST_KEY);
        assertThat(guest.runIds).containsExactly(VerificationPlan.of(event, SETTINGS, START).runId(instance.id()));
    }

    @Test
    void aFailedReportRecordsTheFailureWithoutTheVerifiedMarker() {
        String ami = seedImage("b-1");
        List<Check> checks = List.of(PASSED_CHECKS.get(0), PASSED_CHECKS.get(1), PASSED_CHECKS.get(2),
                new Check("vmi-running", CheckStatus.FAILED, 600_000L, "vmi cirros phase Scheduling after 600s"),
                new Check("guest-booted", CheckStatus.SKIPPED, null, null), PASSED_CHECKS.get(5));
        guest.script = target -> new GuestVerifier.Verified(VerificationReport.failed(checks, VERSIONS,
                "vmi-running: vmi cirros phase Scheduling after 600s"));

        ImageVerified verified = emitted(run(coordinator, imageBuilt("b-1", Cloud.AWS, ami)));

        assertThat(verified.outcome()).isEqualTo(ImageVerified.Outcome.FAILED);
        assertThat(verified.reason()).isEqualTo("vmi-running: vmi cirros phase Scheduling after 600s");
        assertThat(verified.checks()).isEqualTo(checks);
        assertThat(verified.foundVersions()).isEqualTo(VERSIONS);
        assertThat(verified.instanceId()).isEqualTo(onlyInstance().id());
        assertThat(verified.failureKind()).isEqualTo(FailureKind.IMAGE);
        assertThat(verified.retryable()).isFalse();
        assertThat(imageTags(ami)).doesNotContainKeys(ResourceTags.VERIFIED_KUBEVIRT_VERSION, ResourceTags.VERIFIED_BY,
                ResourceTags.VERIFIED_AT).containsEntry(ResourceTags.LAST_VERIFICATION_OUTCOME, "failed");
        assertNoLiveInstance();
    }

    @Test
    void unreachableSshFailsWithTheReasonAndTerminates() {
        String ami = seedImage("b-1");
        guest.script = target -> new GuestVerifier.Unreachable(
                "SSH did not come up within 2700 s (41 attempts); last: Connection refused");

        ImageVerified verified = emitted(run(coordinator, imageBuilt("b-1", Cloud.AWS, ami)));

        assertThat(verified.outcome()).isEqualTo(ImageVerified.Outcome.FAILED);
        assertThat(verified.reason()).isEqualTo("ssh: SSH did not come up within 2700 s (41 attempts); last: "
                + "Connection refused");
        assertThat(verified.instanceId()).isNotNull();
        // Not the image's fault as far as anyone can tell: verifying again may pass, and nothing is recorded on it.
        assertThat(verified.failureKind()).isEqualTo(FailureKind.TRANSIENT);
        assertThat(verified.retryable()).isTrue();
        assertThat(imageTags(ami)).doesNotContainKeys(ResourceTags.VERIFIED_KUBEVIRT_VERSION,
                ResourceTags.LAST_VERIFICATION_OUTCOME);
        assertNoLiveInstance();
    }

    @Test
    void aRejectedHostKeyFailsWithTheReasonAndTerminates() {
        String ami = seedImage("b-1");
        guest.script = target -> new GuestVerifier.HostKeyRejected("host key of 127.0.0.1:22 is not one the cloud "
                + "reported: server offered ECDSA SHA256:abc; pinned ECDSA SHA256:def");

        ImageVerified verified = emitted(run(coordinator, imageBuilt("b-1", Cloud.AWS, ami)));

        assertThat(verified.outcome()).isEqualTo(ImageVerified.Outcome.FAILED);
        assertThat(verified.reason()).startsWith("ssh host key rejected: host key of 127.0.0.1:22 is not one");
        assertThat(imageTags(ami)).doesNotContainKey(ResourceTags.VERIFIED_KUBEVIRT_VERSION);
        assertNoLiveInstance();
    }

    @Test
    void hostKeysNeverReportedFailsAfterTheWaitNamingItAndTerminates() {
        String ami = seedImage("b-1");
        cloud.reportHostKeysAtLaunch = false;
        cloud.console = "[  41.2] cloud-init[812]: running module ssh\n[  97.0] kubeadm[1200]: waiting for the kubelet";

        long started = System.nanoTime();
        ImageVerified verified = emitted(run(coordinator, imageBuilt("b-1", Cloud.AWS, ami)));

        assertThat(verified.outcome()).isEqualTo(ImageVerified.Outcome.FAILED);
        assertThat(verified.reason()).contains("did not report SSH host keys within " + HOST_KEYS.budget())
                .contains("console tail:").contains("kubeadm[1200]: waiting for the kubelet");
        assertThat(guest.targets).isEmpty();
        assertNoLiveInstance();
        // It waited the whole budget, polling with the Waiter's backoff.
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(HOST_KEYS.budget());
        assertThat(cloud.hostKeyPolls.get()).isGreaterThan(3);
        assertThat(meters.get("cib.wait").tag("what", "verify-host-keys").tag("result", "exhausted").timer()
                .count()).isOne();
    }

    @Test
    void hostKeysReportedAfterAFewPollsAreUsed() {
        String ami = seedImage("b-1");
        cloud.reportHostKeysAtLaunch = false;
        cloud.onHostKeyPoll = polls -> {
            if (polls == 3) {
                cloud.reportHostKeys(cloud.allInstances().get(0).id(), List.of(HOST_KEY));
            }
        };

        ImageVerified verified = emitted(run(coordinator, imageBuilt("b-1", Cloud.AWS, ami)));

        assertThat(verified.outcome()).isEqualTo(ImageVerified.Outcome.PASSED);
        assertThat(cloud.hostKeyPolls.get()).isEqualTo(4);
        assertThat(guest.targets.get(0).pinnedHostKeys()).containsExactly(HOST_KEY);
    }

    @Test
    void anInstanceNotReachableByAnyAddressFailsAndIsTerminated() {
        String ami = seedImage("b-1");
        cloud.launchWithoutAddress = true;

        ImageVerified verified = emitted(run(coordinator, imageBuilt("b-1", Cloud.AWS, ami)));

        assertThat(verified.outcome()).isEqualTo(ImageVerified.Outcome.FAILED);
        assertThat(verified.reason()).isEqualTo("instance has no address to connect to");
        assertThat(guest.targets).isEmpty();
        assertNoLiveInstance();
    }

    @Test
    void theAddressOverrideIsWhereTheGuestIsReached() {
        VerificationSettings overridden = new VerificationSettings(SETTINGS.aws(), SETTINGS.gcp(), HOST_KEYS,
                CLOUD_CALLS, CLEANUP, LIFETIME, Optional.of("127.0.0.1:2222"));
        VerificationCoordinator viaBastion = new VerificationCoordinator(
                Map.of(Cloud.AWS, new CloudPorts(cloud, cloud)), guest,
                () -> SshKeyPairs.generate("cib-verify"), overridden, clock, new GuardedWaiter(meters), (b, m) -> { });

        emitted(run(viaBastion, imageBuilt("b-1", Cloud.AWS, seedImage("b-1"))));

        assertThat(guest.targets.get(0).host()).isEqualTo("127.0.0.1");
        assertThat(guest.targets.get(0).port()).isEqualTo(2222);
    }

    @Test
    void aGuestThatThrowsStillGetsItsInstanceTerminated() {
        String ami = seedImage("b-1");
        guest.script = target -> {
            throw new IllegalStateException("bug in the verifier");
        };

        assertThatThrownBy(() -> run(coordinator, imageBuilt("b-1", Cloud.AWS, ami)))
                .isInstanceOf(IllegalStateException.class);

        assertNoLiveInstance();
    }

    // --- leftovers, redelivery, replay ----------------------------------------------------------------------------

    @Test
    void aLeftoverInstanceOfTheSameRequestIsTerminatedBeforeTheLaunch() {
        String ami = seedImage("b-1");
        Envelope<ImageBuilt> event = imageBuilt("b-1", Cloud.AWS, ami);
        String leftover = cloud.seedInstance(REGION, VerificationPlan.of(event, SETTINGS, START).requestTags());
        String otherBuild = cloud.seedInstance(REGION,
                ResourceTags.forRequest("b-2", "other-request", ResourceTags.Phase.VERIFY));
        String otherRequest = cloud.seedInstance(REGION,
                ResourceTags.forRequest("b-1", "an-earlier-replay", ResourceTags.Phase.VERIFY));

        ImageVerified verified = emitted(run(coordinator, event));

        assertThat(verified.outcome()).isEqualTo(ImageVerified.Outcome.PASSED);
        assertThat(verified.instanceId()).isNotEqualTo(leftover);
        assertThat(cloud.describe(REGION, leftover).orElseThrow().state()).isEqualTo(CloudInstance.State.TERMINATED);
        assertThat(cloud.calls()).containsSubsequence("terminate [" + leftover + "]", "launch " + ami);
        // Only this request's instances are its leftovers.
        assertThat(cloud.allInstances()).filteredOn(i -> i.state().isAlive()).extracting(CloudInstance::id)
                .containsExactlyInAnyOrder(otherBuild, otherRequest);
        assertThat(log).anyMatch(line -> line.contains("interrupted earlier attempt") && line.contains(leftover));
    }

    @Test
    void theSameEventHandledTwiceLaunchesOnceAndReportsTheRecordedPass() {
        String ami = seedImage("b-1");
        Envelope<ImageBuilt> event = imageBuilt("b-1", Cloud.AWS, ami);

        ImageVerified first = emitted(run(coordinator, event));
        ImageVerified second = emitted(run(coordinator, event));

        assertThat(cloud.launches()).isEqualTo(1);
        assertThat(guest.targets).hasSize(1);
        assertThat(first.outcome()).isEqualTo(ImageVerified.Outcome.PASSED);
        assertThat(second.outcome()).isEqualTo(ImageVerified.Outcome.PASSED);
        assertThat(second.causedBy()).isEqualTo(event.id());
        assertThat(second.reason()).isNull();
    }

    @Test
    void theSameEventHandledTwiceAfterAFailureReportsTheRecordedFailure() {
        String ami = seedImage("b-1");
        Envelope<ImageBuilt> event = imageBuilt("b-1", Cloud.AWS, ami);
        guest.script = target -> new GuestVerifier.Verified(VerificationReport.failed(PASSED_CHECKS, VERSIONS,
                "vmi-running: never Running"));

        run(coordinator, event);
        guest.script = target -> new GuestVerifier.Verified(PASSED);
        ImageVerified second = emitted(run(coordinator, event));

        assertThat(cloud.launches()).isEqualTo(1);
        assertThat(second.outcome()).isEqualTo(ImageVerified.Outcome.FAILED);
        assertThat(second.reason()).contains("recorded outcome");
        assertThat(second.failureKind()).isEqualTo(FailureKind.IMAGE);
    }

    @Test
    void aDeliberateReplayVerifiesAgainWithItsOwnTokenKeyAndRun() {
        String ami = seedImage("b-1");
        Envelope<ImageBuilt> event = imageBuilt("b-1", Cloud.AWS, ami);
        Envelope<ImageBuilt> replay = Envelope.create(event.data(), URI.create("/cib/operator"), clock);

        emitted(run(coordinator, event));
        clock.advance(Duration.ofMinutes(5));
        ImageVerified again = emitted(run(coordinator, replay));

        assertThat(cloud.launches()).isEqualTo(2);
        assertThat(again.outcome()).isEqualTo(ImageVerified.Outcome.PASSED);
        assertThat(again.causedBy()).isEqualTo(replay.id());
        List<LaunchSpec> specs = cloud.allInstances().stream().map(i -> cloud.launchSpec(i.id())).toList();
        assertThat(specs).extracting(LaunchSpec::idempotencyToken).doesNotHaveDuplicates();
        assertThat(specs).extracting(LaunchSpec::sshPublicKey).doesNotHaveDuplicates();
        assertThat(guest.runIds).doesNotHaveDuplicates().hasSize(2);
        assertThat(imageTags(ami)).containsEntry(ResourceTags.VERIFIED_BY, ResourceTags.idValue(replay.id()));
    }

    @Test
    void theLaunchSpecCarriesTheFreshKeyTagsWithExpiryAndAPerAttemptToken() {
        String ami = seedImage("b-1");
        Envelope<ImageBuilt> event = imageBuilt("b-1", Cloud.AWS, ami);

        emitted(run(coordinator, event));

        LaunchSpec spec = cloud.launchSpec(onlyInstance().id());
        SshIdentity identity = identities.get(0);
        assertThat(identities).hasSize(1);
        assertThat(spec.sshPublicKey()).isEqualTo(identity.publicKeyLine())
                .isEqualTo(guest.targets.get(0).identity().publicKeyLine());
        assertThat(guest.targets.get(0).identity()).isSameAs(identity);
        assertThat(spec.location()).isEqualTo(REGION);
        assertThat(spec.imageId()).isEqualTo(ami);
        assertThat(spec.machineType()).isEqualTo("t3.micro");
        assertThat(spec.diskSizeGb()).isEqualTo(50);
        assertThat(spec.subnet()).contains("subnet-0abc");
        assertThat(spec.firewallGroups()).containsExactly("sg-0abc");
        assertThat(spec.sshUser()).isEqualTo("cib");
        assertThat(spec.nestedVirtualization()).isFalse();
        assertThat(spec.tags())
                .containsEntry(ResourceTags.BUILD_ID, "b-1")
                .containsEntry(ResourceTags.REQUEST_ID, ResourceTags.idValue(event.id()))
                .containsEntry(ResourceTags.PHASE, "verify")
                .containsEntry(ResourceTags.EXPIRES_AT, Long.toString(START.plus(LIFETIME).getEpochSecond()))
                .containsEntry(ResourceTags.KUBEVIRT_VERSION, "v1.8.2");
        // Same event and key (an SDK retry of the one call): same token. A later attempt after a crash has a new key
        // and must not reuse the token, or AWS would hand back the instance that attempt just terminated.
        VerificationPlan later = VerificationPlan.of(event, SETTINGS, START.plus(Duration.ofHours(1)));
        assertThat(spec.idempotencyToken()).isEqualTo(later.idempotencyToken(identity)).hasSizeLessThanOrEqualTo(64);
        assertThat(later.idempotencyToken(SshKeyPairs.generate("next-attempt"))).isNotEqualTo(spec.idempotencyToken());
        Envelope<ImageBuilt> replay = Envelope.create(event.data(), URI.create("/cib/operator"), clock);
        assertThat(VerificationPlan.of(replay, SETTINGS, START).idempotencyToken(identity))
                .isNotEqualTo(spec.idempotencyToken());
    }

    @Test
    void aRestartAfterACrashLaunchesAFreshInstanceInsteadOfGettingTheTerminatedOneBack() {
        String ami = seedImage("b-1");
        Envelope<ImageBuilt> event = imageBuilt("b-1", Cloud.AWS, ami);
        // The dead worker's launch for this event, with its own key; the fake honours tokens like AWS does.
        CloudInstance dead = cloud.launch(VerificationPlan.of(event, SETTINGS, START)
                .launchSpec(SETTINGS.aws(), SshKeyPairs.generate("dead-worker")));

        ImageVerified verified = emitted(run(coordinator, event));

        assertThat(verified.outcome()).isEqualTo(ImageVerified.Outcome.PASSED);
        assertThat(verified.instanceId()).isNotEqualTo(dead.id());
        assertThat(cloud.allInstances()).hasSize(2).noneMatch(i -> i.state().isAlive());
    }

    // --- cancelled attempts (partition revoked, worker stopping) ---------------------------------------------------

    @Test
    void aCancelDuringTheHostKeyWaitAbandonsAndStillTerminates() {
        String ami = seedImage("b-1");
        Envelope<ImageBuilt> event = imageBuilt("b-1", Cloud.AWS, ami);
        Attempt attempt = new Attempt(event.id(), 1);
        cloud.reportHostKeysAtLaunch = false;
        cloud.onHostKeyPoll = polls -> attempt.cancel("partition revoked from this replica");

        PhaseOutcome outcome = coordinator.run(event, attempt);

        assertThat(outcome).isInstanceOf(PhaseOutcome.Abandon.class);
        assertThat(((PhaseOutcome.Abandon) outcome).why()).contains("partition revoked");
        assertThat(cloud.hostKeyPolls.get()).isOne();
        assertThat(guest.targets).isEmpty();
        assertNoLiveInstance();
        // Nothing recorded: the redelivery where the input lands verifies for real.
        assertThat(imageTags(ami)).doesNotContainKeys(ResourceTags.LAST_VERIFICATION,
                ResourceTags.VERIFIED_KUBEVIRT_VERSION);
    }

    @Test
    void aCancelWhileTheGuestVerifiesAbandonsAndStillTerminates() {
        String ami = seedImage("b-1");
        Envelope<ImageBuilt> event = imageBuilt("b-1", Cloud.AWS, ami);
        Attempt attempt = new Attempt(event.id(), 1);
        guest.script = target -> {
            attempt.cancel("worker is stopping");
            // What SshGuestVerifier answers once the cancel closed the connection under the script.
            return new GuestVerifier.Verified(VerificationReport.failed(List.of(), VERSIONS, "SSH connection lost"));
        };

        PhaseOutcome outcome = coordinator.run(event, attempt);

        assertThat(outcome).isInstanceOf(PhaseOutcome.Abandon.class);
        assertThat(guest.attempts).containsExactly(attempt);
        assertNoLiveInstance();
        assertThat(imageTags(ami)).doesNotContainKey(ResourceTags.LAST_VERIFICATION);
    }

    @Test
    void aCancelWhileALaunchIsRetriedAbandonsAndTerminatesWhatTheLostCallStarted() {
        String ami = seedImage("b-1");
        Envelope<ImageBuilt> event = imageBuilt("b-1", Cloud.AWS, ami);
        Attempt attempt = new Attempt(event.id(), 1);
        cloud.launchAndThenFail = new CloudException("RequestTimeout: the launch call timed out", true, null);
        cloud.onLaunch = () -> attempt.cancel("worker is stopping");

        PhaseOutcome outcome = coordinator.run(event, attempt);

        assertThat(outcome).isInstanceOf(PhaseOutcome.Abandon.class);
        assertNoLiveInstance();
    }

    // --- kill windows: launch and terminate retried, never acked into a leak ----------------------------------------

    @Test
    void aTimedOutLaunchThatStartedAnInstanceIsAdoptedNotLaunchedTwice() {
        String ami = seedImage("b-1");
        cloud.launchAndThenFail = new CloudException("RequestTimeout: the launch call timed out", true, null);

        ImageVerified verified = emitted(run(coordinator, imageBuilt("b-1", Cloud.AWS, ami)));

        assertThat(verified.outcome()).isEqualTo(ImageVerified.Outcome.PASSED);
        assertThat(cloud.launches()).isOne();
        assertThat(verified.instanceId()).isEqualTo(onlyInstance().id());
        assertNoLiveInstance();
        assertThat(log).anyMatch(line -> line.contains("adopting " + verified.instanceId()));
    }

    @Test
    void aThrottledLaunchIsRetriedWithinTheBudget() {
        String ami = seedImage("b-1");
        cloud.launchFailures.add(new CloudException("RequestLimitExceeded", true, null));
        cloud.launchFailures.add(new CloudException("RequestLimitExceeded", true, null));

        ImageVerified verified = emitted(run(coordinator, imageBuilt("b-1", Cloud.AWS, ami)));

        assertThat(verified.outcome()).isEqualTo(ImageVerified.Outcome.PASSED);
        assertThat(onlyInstance().state()).isEqualTo(CloudInstance.State.TERMINATED);
    }

    @Test
    void aLaunchThrottledPastItsBudgetIsATransientRetryableFailure() {
        String ami = seedImage("b-1");
        cloud.launchFailure = new CloudException("InsufficientInstanceCapacity: no t3.micro in us-west-1a", true, null);

        ImageVerified verified = emitted(run(coordinator, imageBuilt("b-1", Cloud.AWS, ami)));

        assertThat(verified.outcome()).isEqualTo(ImageVerified.Outcome.FAILED);
        assertThat(verified.reason()).startsWith("cloud call failed: InsufficientInstanceCapacity");
        assertThat(verified.failureKind()).isEqualTo(FailureKind.TRANSIENT);
        assertThat(verified.retryable()).isTrue();
        assertThat(imageTags(ami)).doesNotContainKey(ResourceTags.LAST_VERIFICATION);
    }

    @Test
    void aTerminateThatFailsForAWhileIsRetriedBeforeTheOutcome() {
        String ami = seedImage("b-1");
        cloud.terminateFailures.set(2);

        ImageVerified verified = emitted(run(coordinator, imageBuilt("b-1", Cloud.AWS, ami)));

        assertThat(verified.outcome()).isEqualTo(ImageVerified.Outcome.PASSED);
        assertNoLiveInstance();
    }

    @Test
    void aTerminateThatKeepsFailingTurnsAPassIntoARetryableFailureAndNoMarker() {
        String ami = seedImage("b-1");
        cloud.terminateFailures.set(Integer.MAX_VALUE);

        ImageVerified verified = emitted(run(coordinator, imageBuilt("b-1", Cloud.AWS, ami)));

        assertThat(verified.outcome()).isEqualTo(ImageVerified.Outcome.FAILED);
        assertThat(verified.failureKind()).isEqualTo(FailureKind.TRANSIENT);
        assertThat(verified.retryable()).isTrue();
        assertThat(verified.reason()).contains("could not terminate " + verified.instanceId())
                .contains("the verification had passed");
        assertThat(imageTags(ami)).doesNotContainKeys(ResourceTags.VERIFIED_KUBEVIRT_VERSION,
                ResourceTags.LAST_VERIFICATION);
    }

    // --- the marker --------------------------------------------------------------------------------------------------

    @Test
    void theMarkerNamesBuildVersionTemplateAndCommitAndAPublisherReadsItBack() {
        String ami = seedImage("b-1");
        Envelope<ImageBuilt> event = imageBuilt("b-1", Cloud.AWS, ami, DIGEST, COMMIT);

        emitted(run(coordinator, event));

        VerifiedMarker marker = VerifiedMarker.read(imageTags(ami)).orElseThrow();
        assertThat(marker.vouchesFor("b-1", "v1.8.2", DIGEST, COMMIT)).isTrue();
        assertThat(marker.vouchesFor("b-1", "v1.8.2", "sha256:" + "0".repeat(64), COMMIT)).isFalse();
        assertThat(marker.vouchesFor("b-1", "v1.8.3", DIGEST, COMMIT)).isFalse();
        assertThat(marker.vouchesFor("b-1", "v1.8.2", DIGEST, null)).isFalse();
        assertThat(imageTags(ami).values()).allSatisfy(v -> assertThat(v.length())
                .isLessThanOrEqualTo(ResourceTags.MAX_VALUE_LENGTH));
    }

    @Test
    void aLaterPassWithoutACommitLeavesNoCommitOfTheEarlierMarker() {
        String ami = seedImage("b-1");
        emitted(run(coordinator, imageBuilt("b-1", Cloud.AWS, ami, DIGEST, COMMIT)));

        emitted(run(coordinator, imageBuilt("b-1", Cloud.AWS, ami)));

        assertThat(imageTags(ami)).doesNotContainKeys(ResourceTags.VERIFIED_GIT_COMMIT,
                ResourceTags.VERIFIED_TEMPLATE_DIGEST);
        assertThat(VerifiedMarker.read(imageTags(ami)).orElseThrow().vouchesFor("b-1", "v1.8.2", null, null)).isTrue();
    }

    @Test
    void aLaterFailedVerificationOfTheSameImageRemovesTheMarker() {
        String ami = seedImage("b-1");
        emitted(run(coordinator, imageBuilt("b-1", Cloud.AWS, ami, DIGEST, COMMIT)));
        assertThat(VerifiedMarker.read(imageTags(ami))).isPresent();
        guest.script = target -> new GuestVerifier.Verified(VerificationReport.failed(PASSED_CHECKS, VERSIONS,
                "guest-booted: no login banner"));

        ImageVerified failed = emitted(run(coordinator, imageBuilt("b-1", Cloud.AWS, ami, DIGEST, COMMIT)));

        assertThat(failed.failureKind()).isEqualTo(FailureKind.IMAGE);
        assertThat(VerifiedMarker.read(imageTags(ami))).isEmpty();
        assertThat(imageTags(ami)).doesNotContainKeys(VerifiedMarker.KEYS.toArray(String[]::new))
                .containsEntry(ResourceTags.LAST_VERIFICATION_OUTCOME, "failed");
    }

    @Test
    void aTransientFailureLeavesAnEarlierMarkerAlone() {
        String ami = seedImage("b-1");
        emitted(run(coordinator, imageBuilt("b-1", Cloud.AWS, ami)));
        guest.script = target -> new GuestVerifier.Unreachable("SSH did not come up within 2700 s");

        emitted(run(coordinator, imageBuilt("b-1", Cloud.AWS, ami)));

        assertThat(VerifiedMarker.read(imageTags(ami))).isPresent();
    }

    @Test
    void theWorkersOwnFailuresAreReportedAsWorkerFailures() {
        Envelope<ImageBuilt> event = imageBuilt("b-1", Cloud.AWS, seedImage("b-1"));

        ImageVerified unexpected = (ImageVerified) coordinator.failure(event,
                new Phase.Failure(Phase.Kind.UNEXPECTED, "unexpected NullPointerException", true));
        ImageVerified capped = (ImageVerified) coordinator.failure(event,
                new Phase.Failure(Phase.Kind.ATTEMPTS_EXHAUSTED, "the worker process died 3 times", false));

        assertThat(unexpected.failureKind()).isEqualTo(FailureKind.WORKER);
        assertThat(unexpected.retryable()).isTrue();
        assertThat(capped.failureKind()).isEqualTo(FailureKind.WORKER);
        assertThat(capped.retryable()).isFalse();
        assertThat(capped.outcome()).isEqualTo(ImageVerified.Outcome.FAILED);
    }

    // --- bad input, cloud errors ---------------------------------------------------------------------------------

    @Test
    void anImageThatDoesNotExistFailsWithoutALaunch() {
        ImageVerified verified = emitted(run(coordinator, imageBuilt("b-1", Cloud.AWS, "ami-0123456789abcdef0")));

        assertThat(verified.outcome()).isEqualTo(ImageVerified.Outcome.FAILED);
        assertThat(verified.reason()).isEqualTo("image ami-0123456789abcdef0 does not exist in " + REGION);
        assertThat(verified.instanceId()).isNull();
        assertThat(cloud.calls()).containsExactly("getImage ami-0123456789abcdef0");
        assertThat(guest.targets).isEmpty();
    }

    @Test
    void aCloudNotEnabledOnThisWorkerFailsWithoutTouchingAnyCloud() {
        ImageVerified verified = emitted(run(coordinator, imageBuilt("b-1", Cloud.GCP, "kubevirt-v1-8-2-b-1")));

        assertThat(verified.outcome()).isEqualTo(ImageVerified.Outcome.FAILED);
        assertThat(verified.reason()).isEqualTo("cloud gcp is not enabled on this worker");
        assertThat(verified.cloud()).isEqualTo(Cloud.GCP);
        assertThat(cloud.calls()).isEmpty();
        assertThat(identities).isEmpty();
    }

    @Test
    void aFailedLaunchIsReportedAndTheWorkerGoesOn() {
        String ami = seedImage("b-1");
        cloud.launchFailure = new CloudException("InsufficientInstanceCapacity: no t3.micro in us-west-1a", false, null);

        ImageVerified failed = emitted(run(coordinator, imageBuilt("b-1", Cloud.AWS, ami)));
        cloud.launchFailure = null;
        ImageVerified next = emitted(run(coordinator, imageBuilt("b-2", Cloud.AWS, seedImage("b-2"))));

        assertThat(failed.outcome()).isEqualTo(ImageVerified.Outcome.FAILED);
        assertThat(failed.reason()).isEqualTo("cloud call failed: InsufficientInstanceCapacity: no t3.micro in us-west-1a");
        assertThat(failed.failureKind()).isEqualTo(FailureKind.WORKER);
        assertThat(failed.retryable()).isFalse();
        assertThat(next.outcome()).isEqualTo(ImageVerified.Outcome.PASSED);
    }

    // --- secrets ---------------------------------------------------------------------------------------------------

    @Test
    void secretsInAnyFailureTextNeverReachTheReasonOrTheLog() {
        // Three ways a secret could arrive: the script's failure, the SSH layer's reason, the console tail.
        guest.script = target -> new GuestVerifier.Verified(VerificationReport.failed(PASSED_CHECKS, VERSIONS,
                "datavolume-import: curl said aws_secret_access_key=" + SECRET));
        ImageVerified fromReport = emitted(run(coordinator, imageBuilt("b-1", Cloud.AWS, seedImage("b-1"))));
        guest.script = target -> new GuestVerifier.Unreachable("proxy refused: aws_secret_access_key=" + SECRET);
        ImageVerified fromSsh = emitted(run(coordinator, imageBuilt("b-2", Cloud.AWS, seedImage("b-2"))));
        cloud.reportHostKeysAtLaunch = false;
        cloud.console = "[  3.0] cloud-init[700]: env aws_secret_access_key=" + SECRET + "\n";
        ImageVerified fromConsole = emitted(run(coordinator, imageBuilt("b-3", Cloud.AWS, seedImage("b-3"))));

        for (ImageVerified verified : List.of(fromReport, fromSsh, fromConsole)) {
            assertThat(verified.outcome()).isEqualTo(ImageVerified.Outcome.FAILED);
            assertThat(verified.reason()).contains("aws_secret_access_key=[REDACTED]").doesNotContain(SECRET);
        }
        assertThat(String.join("\n", log)).doesNotContain(SECRET).contains("aws_secret_access_key=[REDACTED]");
        // Nor does the per-run private key show up anywhere the coordinator writes to.
        String everything = String.join("\n", log) + fromReport + fromSsh + fromConsole
                + cloud.allInstances().stream().map(i -> cloud.launchSpec(i.id()).toString()).toList()
                + cloud.allImages();
        for (SshIdentity identity : identities) {
            assertThat(SecretScan.findIn(everything, identity.keyPair())).as("private key material").isNull();
        }
    }

    // --- helpers ---------------------------------------------------------------------------------------------------

    private String seedImage(String buildId) {
        return cloud.seedImage(REGION, "kubevirt-v1-8-2-" + buildId, Map.of(ResourceTags.BUILD_ID, buildId));
    }

    private Envelope<ImageBuilt> imageBuilt(String buildId, Cloud where, String imageId) {
        return imageBuilt(buildId, where, imageId, null, null);
    }

    private Envelope<ImageBuilt> imageBuilt(String buildId, Cloud where, String imageId, String digest,
            String commit) {
        return Envelope.create(new ImageBuilt(EventType.CURRENT_VERSION, buildId, where, REGION, null, imageId,
                "kubevirt-v1-8-2-" + buildId, "v1.8.2", "v1.35.0", "v1.64.0", 1.0, digest, commit, false,
                UUID.randomUUID().toString(), null), URI.create("/cib/build-worker"), clock);
    }

    private static ImageVerified emitted(PhaseOutcome outcome) {
        assertThat(outcome).isInstanceOf(PhaseOutcome.Emit.class);
        return (ImageVerified) ((PhaseOutcome.Emit) outcome).event();
    }

    private Map<String, String> imageTags(String imageId) {
        return cloud.allImages().stream().filter(i -> i.id().equals(imageId)).findFirst().orElseThrow().tags();
    }

    private CloudInstance onlyInstance() {
        assertThat(cloud.allInstances()).hasSize(1);
        return cloud.allInstances().get(0);
    }

    private void assertNoLiveInstance() {
        assertThat(cloud.allInstances()).isNotEmpty().noneMatch(i -> i.state().isAlive());
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            if (!latch.await(20, TimeUnit.SECONDS)) {
                throw new IllegalStateException("never released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The in-memory cloud with a guest that reports its host keys as soon as it is launched (or not at all). */
    private static final class FakeCloud extends InMemoryCloud {
        volatile boolean reportHostKeysAtLaunch = true;
        volatile boolean launchWithoutAddress;
        volatile String console = "";
        volatile CloudException launchFailure;
        final java.util.Queue<CloudException> launchFailures = new java.util.concurrent.ConcurrentLinkedQueue<>();
        /** Starts the instance, then fails: a launch call whose answer was lost. Once. */
        volatile CloudException launchAndThenFail;
        volatile Runnable onLaunch = () -> { };
        final AtomicInteger terminateFailures = new AtomicInteger();
        final AtomicInteger hostKeyPolls = new AtomicInteger();
        volatile java.util.function.IntConsumer onHostKeyPoll = polls -> { };

        @Override
        public CloudInstance launch(LaunchSpec spec) {
            if (launchFailure != null) {
                throw launchFailure;
            }
            CloudException queued = launchFailures.poll();
            if (queued != null) {
                throw queued;
            }
            CloudInstance instance = super.launch(spec);
            if (reportHostKeysAtLaunch) {
                reportHostKeys(instance.id(), List.of(HOST_KEY));
            }
            onLaunch.run();
            CloudException lost = launchAndThenFail;
            if (lost != null) {
                launchAndThenFail = null;
                throw lost;
            }
            return launchWithoutAddress ? new CloudInstance(instance.id(), instance.location(), instance.state(),
                    instance.tags()) : instance;
        }

        @Override
        public Optional<CloudInstance> describe(String location, String instanceId) {
            // Without an address at launch, the cloud never assigns one either.
            return launchWithoutAddress ? Optional.empty() : super.describe(location, instanceId);
        }

        @Override
        public String consoleOutput(String location, String instanceId) {
            return console;
        }

        @Override
        public List<String> hostKeys(String location, String instanceId) {
            List<String> keys = super.hostKeys(location, instanceId);
            onHostKeyPoll.accept(hostKeyPolls.incrementAndGet());
            return keys;
        }

        @Override
        public void terminate(String location, java.util.Collection<String> instanceIds) {
            if (terminateFailures.getAndUpdate(n -> n == Integer.MAX_VALUE ? n : Math.max(0, n - 1)) > 0) {
                throw new CloudException("RequestLimitExceeded: TerminateInstances throttled", true, null);
            }
            super.terminate(location, instanceIds);
        }

        long launches() {
            return calls().stream().filter(call -> call.startsWith("launch ")).count();
        }
    }

    /** Answers what the test scripts; records how it was reached and whether the instance was up meanwhile. */
    private final class ScriptedGuest implements GuestVerifier {
        final List<SshTarget> targets = Collections.synchronizedList(new ArrayList<>());
        final List<String> runIds = Collections.synchronizedList(new ArrayList<>());
        final List<Boolean> instanceAliveDuringRun = Collections.synchronizedList(new ArrayList<>());
        final List<Attempt> attempts = Collections.synchronizedList(new ArrayList<>());
        volatile Function<SshTarget, Result> script = target -> new Verified(PASSED);

        @Override
        public Result verify(SshTarget target, String runId, Consumer<String> lines, Attempt attempt) {
            attempts.add(attempt);
            targets.add(target);
            runIds.add(runId);
            instanceAliveDuringRun.add(cloud.allInstances().stream().anyMatch(i -> i.state().isAlive()));
            lines.accept("CIB-STEP {\"name\":\"node-ready\",\"status\":\"passed\"}");
            return script.apply(target);
        }
    }

    /** A clock the test (and the sleeper) moves forward. */
    private static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant start) {
            this.now = start;
        }

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /** One attempt nothing cancels, as the runner would start it. */
    private static <T extends io.kubevirt.cib.events.PipelineEvent> io.kubevirt.cib.common.phase.PhaseOutcome run(
            io.kubevirt.cib.common.phase.Phase<T> phase, io.kubevirt.cib.events.Envelope<T> input) {
        return phase.run(input, io.kubevirt.cib.common.phase.Attempt.uncancellable(input.id()));
    }
}
