package io.kubevirt.cib.verify.domain;

import io.kubevirt.cib.common.cloud.LaunchSpec;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.cloud.VerifiedMarker;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.ImageBuilt;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One verification of one image ({@code project} is GCP's, null on AWS), keyed by the image.built event id: a redelivery finds this attempt's instance by
 * its tags (and the cloud drops a duplicate launch by its token); an operator's replay is a new event, a new run.
 * {@code releaseTag} is the release waiting for this image, passed on to image.verified.
 */
public record VerificationPlan(
        String buildId,
        String requestId,
        Cloud cloud,
        String location,
        String project,
        String imageId,
        String kubevirtVersion,
        String kubernetesVersion,
        String templateDigest,
        String gitCommit,
        String releaseTag,
        Instant expiresAt) {

    public static VerificationPlan of(Envelope<ImageBuilt> event, VerificationSettings settings, Instant now) {
        ImageBuilt built = event.data();
        return new VerificationPlan(built.buildId(), event.id(), built.cloud(), built.region(), built.project(),
                built.imageId(),
                built.kubevirtVersion(), built.kubernetesVersion(), built.templateDigest(), built.gitCommit(),
                built.releaseTag(), now.plus(settings.instanceLifetime()));
    }

    /** Finds this verification's instance again. */
    public Map<String, String> requestTags() {
        return ResourceTags.forRequest(buildId, ResourceTags.idValue(requestId), ResourceTags.Phase.VERIFY);
    }

    public LaunchSpec launchSpec(VerificationSettings.Launch launch, SshIdentity identity) {
        Map<String, String> tags = new LinkedHashMap<>(requestTags());
        tags.put(ResourceTags.EXPIRES_AT, ResourceTags.expiresAt(expiresAt));
        tags.put(ResourceTags.KUBEVIRT_VERSION, kubevirtVersion);
        return new LaunchSpec(location, imageId, launch.machineType(), launch.diskSizeGb(), launch.subnet(),
                launch.firewallGroups(), launch.sshUser(), identity.publicKeyLine(), tags,
                idempotencyToken(identity),
                launch.nestedVirtualization());
    }

    /** What the publish phase looks for: this exact image, of this build, template and commit, passed. */
    public VerifiedMarker verifiedMarker(Instant at) {
        return new VerifiedMarker(buildId, kubevirtVersion, templateDigest, gitCommit, requestId, at);
    }

    /**
     * Short, DNS-label-safe id of one attempt's run on one instance, for names there (namespace, VM). Per instance,
     * so that two attempts never meet each other's leftovers, even on a guest that outlived the first.
     */
    public String runId(String instanceId) {
        return sha256Hex("verify:" + requestId + ":" + instanceId).substring(0, 12);
    }

    /**
     * One launch attempt's token (at most 64 characters; AWS ClientToken, GCP requestId and instance name seed).
     * It covers the SDK's own retries of that one call. It must differ between attempts: after a crash the next
     * attempt terminates the leftover first, and AWS would answer the old token with the terminated instance (or
     * IdempotentParameterMismatch, since the key differs). Redeliveries are caught by find-by-tag, not by tokens.
     */
    String idempotencyToken(SshIdentity attemptIdentity) {
        return "cib-" + sha256Hex("verify:" + requestId + ":" + attemptIdentity.publicKeyLine()).substring(0, 48);
    }

    private static String sha256Hex(String value) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
