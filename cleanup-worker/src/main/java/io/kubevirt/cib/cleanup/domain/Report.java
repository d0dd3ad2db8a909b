package io.kubevirt.cib.cleanup.domain;

import io.kubevirt.cib.common.phase.Reasons;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.ResourcesCleaned;
import io.kubevirt.cib.events.ResourcesCleaned.Action;
import io.kubevirt.cib.events.ResourcesCleaned.Kind;
import io.kubevirt.cib.events.ResourcesCleaned.Resource;
import io.kubevirt.cib.events.ResourcesCleaned.Result;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Collects what happened to each resource. A removal runs unless this is a dry run; "already gone" is success; a
 * failure is recorded with its redacted reason and the run goes on with the next resource.
 */
final class Report {

    private final Cloud cloud;
    private final String project;
    private final boolean dryRun;
    private final List<Resource> resources;

    Report(Cloud cloud, String project, boolean dryRun, List<Resource> into) {
        this.cloud = cloud;
        this.project = project;
        this.dryRun = dryRun;
        this.resources = into;
    }

    static List<Resource> list() {
        return new ArrayList<>();
    }

    /** Runs {@code change} (true: done, false: it was already gone) and records the result. */
    void act(Kind kind, String id, String name, String location, String buildId, Action action, String reason,
            BooleanSupplier change) {
        Result result;
        String error = null;
        if (dryRun) {
            result = Result.PLANNED;
        } else {
            try {
                result = change.getAsBoolean() ? Result.DONE : Result.ALREADY_GONE;
            } catch (RuntimeException e) {
                result = Result.FAILED;
                error = Reasons.forEvent(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
            }
        }
        resources.add(new Resource(cloud, kind, id, name, location, project, buildId, action, result,
                Reasons.forEvent(reason), error));
    }

    static ResourcesCleaned event(String runId, ResourcesCleaned.Trigger trigger, boolean dryRun,
            List<Resource> resources, String causedBy, String replayOf) {
        return new ResourcesCleaned(ResourcesCleaned.CURRENT_VERSION, runId, trigger, dryRun, resources, causedBy,
                replayOf);
    }
}
