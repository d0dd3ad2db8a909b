package io.kubevirt.cib.build.domain;

import io.kubevirt.cib.common.cloud.ImageNames;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.events.BuildRequested;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Everything one build attempt does, decided before anything runs. The request's event id is the idempotency key:
 * it is in the image name and tags, so a redelivery finds the earlier attempt's image, while an operator's replay
 * (a new event id) builds a new one.
 *
 * @param location AWS region or GCP zone the build runs in
 * @param project GCP project; empty on AWS
 */
public record BuildPlan(
        String buildId,
        String requestId,
        Cloud cloud,
        String location,
        Optional<String> project,
        String kubevirtVersion,
        String cdiVersion,
        String kubernetesVersion,
        String imageName,
        Instant expiresAt,
        Instant deadline) {

    /** GCP image names are at most 63 characters; AWS allows more, but one rule for both keeps names predictable. */
    static final int MAX_IMAGE_NAME = ImageNames.MAX_IMAGE_NAME;

    public static BuildPlan of(Envelope<BuildRequested> request, BuildSettings settings, Instant now)
            throws RequestRejectedException {
        BuildRequested data = request.data();
        String location = Optional.ofNullable(data.region())
                .orElse(data.cloud() == Cloud.AWS ? settings.awsRegion() : settings.gcpZone());
        Optional<String> project = data.cloud() == Cloud.GCP ? settings.gcpProject() : Optional.empty();
        if (data.cloud() == Cloud.GCP && project.isEmpty()) {
            throw new RequestRejectedException("gcp builds need cib.gcp.project, which this worker lacks");
        }
        return new BuildPlan(
                data.buildId(),
                request.id(),
                data.cloud(),
                location,
                project,
                data.kubevirtVersion(),
                Optional.ofNullable(data.cdiVersion()).orElse(settings.defaultCdiVersion()),
                normaliseKubernetes(Optional.ofNullable(data.kubernetesVersion())
                        .orElse(settings.defaultKubernetesVersion())),
                imageName(data.kubevirtVersion(), data.buildId(), request.id()),
                now.plus(settings.imageLifetime()),
                now.plus(settings.buildTimeout()));
    }

    /** The tags that find this attempt's resources again: the build, this request, the build phase. */
    public Map<String, String> requestTags() {
        return ResourceTags.forRequest(buildId, ResourceTags.labelValue(requestId), ResourceTags.Phase.BUILD);
    }

    /** What Packer writes on the image and everything it starts, for lookups and for the sweep. */
    public Map<String, String> resourceTags() {
        Map<String, String> tags = new LinkedHashMap<>(requestTags());
        tags.put(ResourceTags.EXPIRES_AT, ResourceTags.expiresAt(expiresAt));
        tags.put(ResourceTags.KUBEVIRT_VERSION, kubevirtVersion);
        tags.put(ResourceTags.KUBERNETES_VERSION, kubernetesVersion);
        tags.put(ResourceTags.CDI_VERSION, cdiVersion);
        return tags;
    }

    /** A bare minor (v1.35) becomes v1.35.0 so every later phase sees one form. */
    static String normaliseKubernetes(String version) {
        return version.chars().filter(c -> c == '.').count() == 1 ? version + ".0" : version;
    }

    static String imageName(String kubevirtVersion, String buildId, String requestId) {
        return ImageNames.forRequest(kubevirtVersion, buildId, requestId);
    }
}
