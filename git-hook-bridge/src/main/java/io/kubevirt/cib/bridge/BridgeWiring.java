package io.kubevirt.cib.bridge;

import io.kubevirt.cib.bridge.domain.ChangedPaths;
import io.kubevirt.cib.bridge.domain.HookTranslator;
import io.kubevirt.cib.bridge.domain.PathRules;
import io.kubevirt.cib.bridge.domain.ReleaseTags;
import io.kubevirt.cib.bridge.domain.WebhookSignature;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.EventCodec;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Builds the plain decision classes from configuration. */
@ApplicationScoped
public class BridgeWiring {

    @Produces
    @ApplicationScoped
    WebhookSignature signature(BridgeConfig config) {
        return new WebhookSignature(config.github().secrets());
    }

    @Produces
    @ApplicationScoped
    HookTranslator translator(BridgeConfig config, ChangedPaths changedPaths) {
        var paths = new PathRules(
                Map.of(Cloud.AWS, globs(config.paths().aws(), PathRules.DEFAULT_AWS),
                        Cloud.GCP, globs(config.paths().gcp(), PathRules.DEFAULT_GCP)),
                globs(config.paths().shared(), PathRules.DEFAULT_SHARED));
        var settings = new HookTranslator.Settings(config.pullRequest().actions(),
                config.pullRequest().kubevirtVersion(),
                new ReleaseTags(config.release().tagPattern().orElse(ReleaseTags.DEFAULT_PATTERN)), paths);
        return new HookTranslator(settings, changedPaths, new EventCodec(), Clock.systemUTC());
    }

    private static List<String> globs(Optional<String> configured, List<String> defaults) {
        return configured.map(s -> Arrays.stream(s.strip().split("\\s+")).filter(g -> !g.isEmpty()).toList())
                .orElse(defaults);
    }
}
