package io.kubevirt.cib.bridge.domain;

import io.kubevirt.cib.events.Cloud;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.Collection;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which clouds a change touches, from its changed paths. Globs (java.nio {@code glob:} syntax, never regular
 * expressions: the original pipeline's triggers were globs misread as regexes). A path matching a cloud's globs
 * concerns that cloud; a path matching no cloud's globs but a shared glob concerns every cloud; anything else
 * (docs, CI, other services) concerns none.
 */
public final class PathRules {

    /** A path segment that is, or is made of words including, one of the names (cloud-aws/, sources-aws.pkr.hcl). */
    private static String naming(String names) {
        return "{,**/}{,*[-_.]}{" + names + "}{,[-_.]*}{,/**}";
    }

    public static final List<String> DEFAULT_AWS = List.of(naming("aws,ec2,ami,amazon"));
    public static final List<String> DEFAULT_GCP = List.of(naming("gcp,gce,google,googlecompute"));
    public static final List<String> DEFAULT_SHARED = List.of(
            "packer/installer/**", "packer/*.pkr.hcl", "packer/plugins/**");

    private final Map<Cloud, List<PathMatcher>> perCloud = new LinkedHashMap<>();
    private final List<PathMatcher> shared;

    public PathRules(Map<Cloud, List<String>> cloudGlobs, List<String> sharedGlobs) {
        cloudGlobs.forEach((cloud, globs) -> perCloud.put(cloud, compile(globs)));
        this.shared = compile(sharedGlobs);
    }

    public static PathRules defaults() {
        return new PathRules(Map.of(Cloud.AWS, DEFAULT_AWS, Cloud.GCP, DEFAULT_GCP), DEFAULT_SHARED);
    }

    public Set<Cloud> cloudsFor(Collection<String> changedPaths) {
        Set<Cloud> clouds = EnumSet.noneOf(Cloud.class);
        for (String raw : changedPaths) {
            Path path = Path.of(raw.startsWith("/") ? raw.substring(1) : raw);
            Set<Cloud> specific = EnumSet.noneOf(Cloud.class);
            perCloud.forEach((cloud, matchers) -> {
                if (matches(matchers, path)) {
                    specific.add(cloud);
                }
            });
            if (!specific.isEmpty()) {
                clouds.addAll(specific);
            } else if (matches(shared, path)) {
                clouds.addAll(perCloud.keySet());
            }
        }
        return clouds;
    }

    private static boolean matches(List<PathMatcher> matchers, Path path) {
        return matchers.stream().anyMatch(m -> m.matches(path));
    }

    private static List<PathMatcher> compile(List<String> globs) {
        return globs.stream()
                .filter(g -> !g.isBlank())
                .map(g -> FileSystems.getDefault().getPathMatcher("glob:" + g.strip()))
                .toList();
    }
}
