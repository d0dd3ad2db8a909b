package io.kubevirt.cib.cleanup.domain;

import io.kubevirt.cib.common.cloud.ImageNames;
import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.cloud.CloudInstance;
import io.kubevirt.cib.common.cloud.CloudResource;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.Phase;
import io.kubevirt.cib.common.phase.PhaseOutcome;
import io.kubevirt.cib.events.BuildFailed;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.ImageVerified;
import io.kubevirt.cib.events.PipelineEvent;
import io.kubevirt.cib.events.ResourcesCleaned;
import io.kubevirt.cib.events.ResourcesCleaned.Action;
import io.kubevirt.cib.events.ResourcesCleaned.Kind;
import io.kubevirt.cib.events.ResourcesCleaned.Resource;
import io.kubevirt.cib.events.ResourcesCleaned.Trigger;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Cleanup on the normal path: after a verification (its instance; a non-release build's image gets the expiry tag
 * that the sweep acts on after the retention, so a delayed removal survives any restart) and after a failed build
 * (its instances, images found by tags or by the request's image name, its tagged snapshots).
 */
public final class EventCleanup {

    private final Map<Cloud, CloudPorts> clouds;
    private final CleanupSettings settings;
    private final Clock clock;

    public EventCleanup(Map<Cloud, CloudPorts> clouds, CleanupSettings settings, Clock clock) {
        this.clouds = Map.copyOf(clouds);
        this.settings = settings;
        this.clock = clock;
    }

    /** image.verified in. */
    public Phase<ImageVerified> afterVerification() {
        return new Phase<>() {
            @Override
            public PhaseOutcome run(Envelope<ImageVerified> input, Attempt attempt) {
                ImageVerified data = input.data();
                List<Resource> resources = Report.list();
                CloudPorts ports = clouds.get(data.cloud());
                if (ports != null && data.region() != null) {
                    Report report = new Report(data.cloud(), ports.project().orElse(null), false, resources);
                    removeVerificationInstances(ports, report, data);
                    // A build a release asked for (releaseTag, schema 1.3) is a release build whatever its ID.
                    if (!settings.isRelease(data.buildId()) && data.releaseTag() == null && data.imageId() != null) {
                        expireImage(ports, report, data);
                    }
                }
                return PhaseOutcome.Emit.of(Report.event(data.buildId(), Trigger.VERIFICATION, false, resources,
                        input.id(), data.replayOf()));
            }

            @Override
            public PipelineEvent failure(Envelope<ImageVerified> input, Failure failure) {
                return Report.event(input.data().buildId(), Trigger.VERIFICATION, false, List.of(), input.id(),
                        input.data().replayOf());
            }
        };
    }

    /** build.failed in. */
    public Phase<BuildFailed> afterFailedBuild() {
        return new Phase<>() {
            @Override
            public PhaseOutcome run(Envelope<BuildFailed> input, Attempt attempt) {
                BuildFailed data = input.data();
                List<Resource> resources = Report.list();
                CloudPorts ports = clouds.get(data.cloud());
                // No region: the request was refused before anything was made.
                if (ports != null && data.region() != null && data.causedBy() != null) {
                    Report report = new Report(data.cloud(), ports.project().orElse(null), false, resources);
                    removeBuildLeftovers(ports, report, data);
                }
                return PhaseOutcome.Emit.of(Report.event(data.buildId(), Trigger.BUILD, false, resources,
                        input.id(), data.replayOf()));
            }

            @Override
            public PipelineEvent failure(Envelope<BuildFailed> input, Failure failure) {
                return Report.event(input.data().buildId(), Trigger.BUILD, false, List.of(), input.id(),
                        input.data().replayOf());
            }
        };
    }

    private void removeVerificationInstances(CloudPorts ports, Report report, ImageVerified data) {
        String location = data.region();
        Set<String> ids = new LinkedHashSet<>();
        if (data.instanceId() != null) {
            ids.add(data.instanceId());
        }
        // The verification's own tags find an instance the event does not name (a run that died mid-launch).
        if (data.causedBy() != null) {
            Map<String, String> tags = ResourceTags.forRequest(data.buildId(), ResourceTags.idValue(data.causedBy()),
                    ResourceTags.Phase.VERIFY);
            ports.instances().findInstances(location, tags).forEach(i -> ids.add(i.id()));
        }
        for (String id : ids) {
            report.act(Kind.INSTANCE, id, null, location, data.buildId(), Action.TERMINATE,
                    "verification instance of " + data.buildId(), () -> terminate(ports, location, id));
        }
    }

    private void expireImage(CloudPorts ports, Report report, ImageVerified data) {
        String location = data.region();
        Instant expiry = clock.instant().plus(settings.retention());
        report.act(Kind.IMAGE, data.imageId(), null, location, data.buildId(), Action.EXPIRE,
                "not a release build: kept " + settings.retention() + ", then removed by the sweep", () -> {
                    if (ports.images().getImage(location, data.imageId()).isEmpty()) {
                        return false;
                    }
                    ports.images().tagImage(location, data.imageId(),
                            Map.of(ResourceTags.EXPIRES_AT, ResourceTags.expiresAt(expiry)));
                    return true;
                });
    }

    private void removeBuildLeftovers(CloudPorts ports, Report report, BuildFailed data) {
        String location = data.region();
        String build = data.buildId();
        Map<String, String> tags = ResourceTags.forRequest(build, ResourceTags.idValue(data.causedBy()),
                ResourceTags.Phase.BUILD);
        for (CloudInstance i : ports.instances().findInstances(location, tags)) {
            report.act(Kind.INSTANCE, i.id(), null, location, build, Action.TERMINATE,
                    "build instance of failed build " + build, () -> terminate(ports, location, i.id()));
        }
        Map<String, CloudImage> images = new LinkedHashMap<>();
        ports.images().findImages(location, tags).forEach(i -> images.put(i.id(), i));
        if (data.kubevirtVersion() != null) {
            String name = ImageNames.forRequest(data.kubevirtVersion(), build, data.causedBy());
            // Untagged (its creator died before tagging) or tagged as this build's: clearly this request's image.
            ports.images().findImagesByName(location, name).stream()
                    .filter(i -> !i.tags().containsKey(ResourceTags.BUILD_ID)
                            || build.equals(i.tags().get(ResourceTags.BUILD_ID)))
                    .forEach(i -> images.put(i.id(), i));
        }
        for (CloudImage image : images.values()) {
            report.act(Kind.IMAGE, image.id(), image.name(), location, build, Action.DELETE,
                    "image of failed build " + build, () -> {
                        boolean there = ports.images().getImage(location, image.id()).isPresent();
                        ports.images().deleteImage(location, image.id());
                        return there;
                    });
        }
        for (CloudResource snapshot : ports.tagged().findTagged(location, CloudResource.Kind.SNAPSHOT,
                ResourceTags.BUILD_ID)) {
            if (tags.entrySet().stream().allMatch(t -> t.getValue().equals(snapshot.tags().get(t.getKey())))) {
                report.act(Kind.SNAPSHOT, snapshot.id(), null, location, build, Action.DELETE,
                        "snapshot of failed build " + build, () -> ports.tagged().remove(snapshot));
            }
        }
    }

    private static boolean terminate(CloudPorts ports, String location, String id) {
        boolean alive = ports.instances().describe(location, id).map(i -> i.state().isAlive()).orElse(false);
        if (alive) {
            ports.instances().terminate(location, List.of(id));
        }
        return alive;
    }

    static ResourcesCleaned.Kind kindOf(CloudResource.Kind kind) {
        return ResourcesCleaned.Kind.valueOf(kind.name());
    }
}
