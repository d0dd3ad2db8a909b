package io.kubevirt.cib.bridge;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** {@code cib.bridge.*}; see application.properties for what each means. */
@ConfigMapping(prefix = "cib.bridge")
public interface BridgeConfig {

    Github github();

    /** Larger bodies are refused with 400 before their signature is checked. */
    @WithDefault("1048576")
    int maxBodyBytes();

    /** GitHub gives up after 10 s; the whole answer, changed-paths lookup and publish included, fits in this. */
    @WithDefault("1s")
    Duration answerWithin();

    PullRequest pullRequest();

    Release release();

    Paths paths();

    interface Github {
        /** Active webhook secrets (two during a rotation). Required: without one every delivery would be refused. */
        List<String> secrets();

        @WithDefault("https://api.github.com")
        URI apiUrl();

        /** Token for the changed-files lookup; optional for public repositories (but rate limited then). */
        Optional<String> token();
    }

    interface PullRequest {
        @WithDefault("opened,synchronize,reopened")
        Set<String> actions();

        /** KubeVirt version a pull request's images are built with. */
        @WithDefault("v1.8.2")
        String kubevirtVersion();
    }

    interface Release {
        /** Java regex with a named group {@code version}; default: KubeVirt's tags plus an image revision. */
        Optional<String> tagPattern();
    }

    /** Glob lists (java.nio glob syntax), separated by whitespace; unset means the built-in defaults. */
    interface Paths {
        Optional<String> aws();

        Optional<String> gcp();

        Optional<String> shared();
    }
}
