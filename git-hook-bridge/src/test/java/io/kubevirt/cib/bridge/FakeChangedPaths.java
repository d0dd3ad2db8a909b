package io.kubevirt.cib.bridge;

import io.kubevirt.cib.bridge.domain.ChangedPaths;
import io.quarkus.test.Mock;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;

/** Stands in for GitHub's files listing in @QuarkusTests: tests set what the pull request changed. */
@Mock
@ApplicationScoped
public class FakeChangedPaths implements ChangedPaths {

    private static volatile List<String> paths = List.of();

    public static void set(List<String> changed) {
        paths = List.copyOf(changed);
    }

    @Override
    public List<String> of(String repository, int pullNumber, String headSha, Duration timeout) {
        return paths;
    }
}
