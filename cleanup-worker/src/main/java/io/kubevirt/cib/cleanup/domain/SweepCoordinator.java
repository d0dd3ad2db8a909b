package io.kubevirt.cib.cleanup.domain;

import io.kubevirt.cib.common.cloud.ImageNames;
import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.cloud.CloudResource;
import io.kubevirt.cib.common.cloud.PackerNames;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.Phase;
import io.kubevirt.cib.common.phase.PhaseOutcome;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.PipelineEvent;
import io.kubevirt.cib.events.ResourcesCleaned.Action;
import io.kubevirt.cib.events.ResourcesCleaned.Resource;
import io.kubevirt.cib.events.ResourcesCleaned.Trigger;
import io.kubevirt.cib.events.SweepRequested;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * One sweep, in every location each cloud reports: resources carrying the pipeline's expiry tag whose time has
 * passed (instances, then images with their snapshots, then snapshots and disks), untagged images that carry exactly
 * the name an expired build's request gave its image, old Packer temporaries; then the release lifecycle. Release
 * images are never swept, untagged resources never touched otherwise. Everything found is re-read from the cloud, so
 * a sweep killed midway is finished by the next one (the redelivered request or a later one).
 */
public final class SweepCoordinator implements Phase<SweepRequested> {

    private static final List<CloudResource.Kind> ORDER = List.of(CloudResource.Kind.INSTANCE,
            CloudResource.Kind.IMAGE, CloudResource.Kind.SNAPSHOT, CloudResource.Kind.DISK);

    private final Map<Cloud, CloudPorts> clouds;
    private final CleanupSettings settings;
    private final Clock clock;
    private final Consumer<String> log;

    public SweepCoordinator(Map<Cloud, CloudPorts> clouds, CleanupSettings settings, Clock clock,
            Consumer<String> log) {
        this.clouds = new TreeMap<>(clouds);
        this.settings = settings;
        this.clock = clock;
        this.log = log;
    }

    @Override
    public PhaseOutcome run(Envelope<SweepRequested> input, Attempt attempt) {
        SweepRequested data = input.data();
        Instant now = clock.instant();
        List<Resource> swept = Report.list();
        List<Resource> retired = Report.list();
        for (Map.Entry<Cloud, CloudPorts> cloud : clouds.entrySet()) {
            if (attempt.cancelled()) {
                return new PhaseOutcome.Abandon(attempt.cancelReason());
            }
            CloudPorts ports = cloud.getValue();
            String project = ports.project().orElse(null);
            Report sweep = new Report(cloud.getKey(), project, data.dryRun(), swept);
            List<CloudResource> releases = new ArrayList<>();
            for (String location : ports.locations().locations()) {
                if (attempt.cancelled()) {
                    return new PhaseOutcome.Abandon(attempt.cancelReason());
                }
                sweepLocation(ports, sweep, location, now, releases);
            }
            retire(ports, new Report(cloud.getKey(), project, data.dryRun(), retired), releases, now);
        }
        log.accept("sweep " + data.buildId() + (data.dryRun() ? " (dry run)" : "") + ": " + swept.size()
                + " swept, " + retired.size() + " in the release lifecycle");
        return new PhaseOutcome.Emit(List.of(
                PhaseOutcome.Output.of(Report.event(data.buildId(), Trigger.SWEEP, data.dryRun(), swept,
                        input.id(), data.replayOf()), "sweep"),
                PhaseOutcome.Output.of(Report.event(data.buildId(), Trigger.LIFECYCLE, data.dryRun(), retired,
                        input.id(), data.replayOf()), "lifecycle")));
    }

    @Override
    public PipelineEvent failure(Envelope<SweepRequested> input, Failure failure) {
        return Report.event(input.data().buildId(), Trigger.SWEEP, input.data().dryRun(), List.of(), input.id(),
                input.data().replayOf());
    }

    private void sweepLocation(CloudPorts ports, Report report, String location, Instant now,
            List<CloudResource> releases) {
        Map<String, CloudResource> expiredBuildMarks = new LinkedHashMap<>();
        for (CloudResource.Kind kind : ORDER) {
            for (CloudResource r : ports.tagged().findTagged(location, kind, ResourceTags.BUILD_ID)) {
                String build = r.tags().get(ResourceTags.BUILD_ID);
                if (kind == CloudResource.Kind.IMAGE && isRelease(r)) {
                    releases.add(r);
                    continue;
                }
                Optional<Instant> expiry = expiry(r);
                if (expiry.isEmpty() || !expiry.get().isBefore(now)) {
                    continue;
                }
                r.tag(ResourceTags.REQUEST_ID).ifPresent(req -> expiredBuildMarks.putIfAbsent(req, r));
                if (isRelease(r) && kind == CloudResource.Kind.SNAPSHOT) {
                    continue; // a release image's snapshots go with the image, never on their own
                }
                report.act(EventCleanup.kindOf(kind), r.id(), r.name(), r.location(), build,
                        kind == CloudResource.Kind.INSTANCE ? Action.TERMINATE : Action.DELETE,
                        "cib-expires-at " + expiry.get() + " has passed", () -> ports.tagged().remove(r));
            }
        }
        untaggedImagesOfExpiredBuilds(ports, report, location, expiredBuildMarks.values());
        ports.packer().ifPresent(packer -> {
            for (CloudResource r : packer.findByPrefix(location, PackerNames.PREFIX)) {
                Instant made = r.createdAt();
                // No age (a name Packer did not give) means not provably Packer's: left alone.
                if (made != null && made.isBefore(now.minus(settings.packerMaxAge()))) {
                    report.act(EventCleanup.kindOf(r.kind()), r.id(), r.name(), location, null, Action.DELETE,
                            "packer temporary older than " + settings.packerMaxAge(), () -> packer.remove(r));
                }
            }
        });
    }

    /**
     * An image its creator could not tag carries the name chosen from its build.requested id; an expired resource
     * of that request (its build instance, say) tells us that id, so exactly that name is the build's image.
     */
    private void untaggedImagesOfExpiredBuilds(CloudPorts ports, Report report, String location,
            java.util.Collection<CloudResource> marks) {
        for (CloudResource mark : marks) {
            String build = mark.tags().get(ResourceTags.BUILD_ID);
            String version = mark.tags().get(ResourceTags.KUBEVIRT_VERSION);
            String request = mark.tags().get(ResourceTags.REQUEST_ID);
            if (version == null || settings.isRelease(build)) {
                continue;
            }
            String name = ImageNames.forRequest(version, build, request);
            for (CloudImage image : ports.images().findImagesByName(location, name)) {
                if (image.tags().containsKey(ResourceTags.BUILD_ID)) {
                    continue; // tagged images are judged by their own expiry above
                }
                report.act(io.kubevirt.cib.events.ResourcesCleaned.Kind.IMAGE, image.id(), image.name(), location,
                        build, Action.DELETE, "untagged image named for expired request of " + build, () -> {
                            boolean there = ports.images().getImage(location, image.id()).isPresent();
                            // Tagged first (its snapshots too, see ImageCatalog.tagImage): a sweep killed between
                            // deregistering and deleting the snapshots leaves them findable, not anonymous.
                            ports.images().tagImage(location, image.id(), expiredMark(mark));
                            ports.images().deleteImage(location, image.id());
                            return there;
                        });
            }
        }
    }

    /**
     * Release lifecycle: releases (the release tag a published image carries, else its release build id) ordered by
     * their newest image; the newest {@code keepReleases} are kept; older ones are deprecated, and deleted once
     * deprecated for the grace period.
     */
    private void retire(CloudPorts ports, Report report, List<CloudResource> releaseImages, Instant now) {
        Map<String, List<CloudResource>> byRelease = new LinkedHashMap<>();
        releaseImages.forEach(i -> byRelease.computeIfAbsent(i.tag(ResourceTags.RELEASE_TAG)
                .orElse(i.tags().get(ResourceTags.BUILD_ID)), k -> new ArrayList<>()).add(i));
        List<String> newestFirst = byRelease.keySet().stream()
                .sorted(Comparator.comparing((String b) -> newest(byRelease.get(b))).reversed()
                        .thenComparing(Comparator.reverseOrder()))
                .toList();
        for (int rank = settings.keepReleases(); rank < newestFirst.size(); rank++) {
            String release = newestFirst.get(rank);
            String why = "release " + release + ", " + (rank + 1) + " of " + newestFirst.size() + " by age; newest "
                    + settings.keepReleases() + " kept";
            for (CloudResource image : byRelease.get(release)) {
                String build = image.tags().get(ResourceTags.BUILD_ID);
                if (image.deprecatedAt() == null) {
                    report.act(io.kubevirt.cib.events.ResourcesCleaned.Kind.IMAGE, image.id(), image.name(),
                            image.location(), build, Action.DEPRECATE, why,
                            () -> ports.deprecation().deprecate(image, now));
                } else if (!image.deprecatedAt().plus(settings.deprecationGrace()).isAfter(now)) {
                    report.act(io.kubevirt.cib.events.ResourcesCleaned.Kind.IMAGE, image.id(), image.name(),
                            image.location(), build, Action.DELETE,
                            why + "; deprecated since " + image.deprecatedAt() + ", grace "
                                    + settings.deprecationGrace() + " over", () -> ports.tagged().remove(image));
                }
            }
        }
    }

    /** A release's image: a release build's, a publish copy, or any image published as a release (its tag). */
    private boolean isRelease(CloudResource r) {
        return settings.isRelease(r.tags().get(ResourceTags.BUILD_ID))
                || ResourceTags.Phase.PUBLISH.label().equals(r.tags().get(ResourceTags.PHASE))
                || r.tags().containsKey(ResourceTags.RELEASE_TAG);
    }

    /** The build's tags of an expired resource of the same request, with the expiry that already passed. */
    private static Map<String, String> expiredMark(CloudResource mark) {
        Map<String, String> tags = new LinkedHashMap<>();
        for (String key : List.of(ResourceTags.BUILD_ID, ResourceTags.REQUEST_ID, ResourceTags.KUBEVIRT_VERSION,
                ResourceTags.EXPIRES_AT)) {
            mark.tag(key).ifPresent(value -> tags.put(key, value));
        }
        return tags;
    }

    private static Instant newest(List<CloudResource> images) {
        return images.stream().map(CloudResource::createdAt).filter(Objects::nonNull).max(Comparator.naturalOrder())
                .orElse(Instant.EPOCH);
    }

    private static Optional<Instant> expiry(CloudResource r) {
        try {
            return r.tag(ResourceTags.EXPIRES_AT).map(s -> Instant.ofEpochSecond(Long.parseLong(s.trim())));
        } catch (NumberFormatException e) {
            return Optional.empty(); // unreadable expiry: not provably expired
        }
    }
}
