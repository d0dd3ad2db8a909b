package io.kubevirt.cib.common.cloud;

import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.WaitPolicy;
import io.kubevirt.cib.common.phase.Waiter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Makes sure no instance of a request keeps running: terminates every instance carrying the request's tags (plus
 * ids a caller knows of whose tags may not have landed), retrying what the cloud calls retryable within a budget.
 * Shared by every phase that starts instances. It runs on its own uncancellable attempt, because cleanup must
 * happen after a cancel too.
 */
public final class InstanceCleanup {

    /** A cloud error a later try may not meet again (throttling, capacity, a network blip). */
    public static final Predicate<Throwable> RETRYABLE = e -> e instanceof CloudException c && c.retryable();

    private final Waiter waiter;
    private final WaitPolicy budget;

    public InstanceCleanup(Waiter waiter, WaitPolicy budget) {
        this.waiter = waiter;
        this.budget = budget;
    }

    /**
     * @param terminating told the ids before each terminate call, for the phase's log
     * @return the ids terminated, or why not everything could be
     */
    public Result terminateTagged(InstanceFleet fleet, String location, Map<String, String> tags,
            Collection<String> knownIds, String inputId, Consumer<List<String>> terminating) {
        List<String> seen = new ArrayList<>(knownIds);
        try {
            waiter.retrying("terminate-instances", budget, Attempt.uncancellable(inputId), RETRYABLE, () -> {
                Set<String> ids = new LinkedHashSet<>(knownIds);
                fleet.findInstances(location, tags).forEach(i -> ids.add(i.id()));
                if (!ids.isEmpty()) {
                    seen.clear();
                    seen.addAll(ids);
                    terminating.accept(List.copyOf(ids));
                    fleet.terminate(location, List.copyOf(ids));
                }
            });
            return new Result(List.copyOf(seen), Optional.empty());
        } catch (CloudException e) {
            return new Result(List.copyOf(seen), Optional.of("could not terminate " + (seen.isEmpty()
                    ? "the instances tagged " + ResourceTags.REQUEST_ID + "=" + tags.get(ResourceTags.REQUEST_ID)
                    : String.join(", ", seen)) + " within " + budget.budget() + ": " + e.getMessage()
                    + "; their " + ResourceTags.EXPIRES_AT + " tag leaves them to the sweep"));
        }
    }

    /** @param failure why some instance may still run; empty when none does */
    public record Result(List<String> terminated, Optional<String> failure) {
    }
}
