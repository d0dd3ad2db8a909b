package io.kubevirt.cib.bridge.github;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubevirt.cib.bridge.BridgeConfig;
import io.kubevirt.cib.bridge.domain.ChangedPaths;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Changed paths from GitHub's REST API: {@code GET /repos/{owner}/{repo}/pulls/{number}/files}, 100 per page, at
 * most 30 pages (GitHub lists 3000 files at most). A rename counts for its old path too: moving a file out of
 * {@code aws/} changes the AWS image.
 */
@ApplicationScoped
public class GithubChangedPaths implements ChangedPaths {

    private static final Pattern REPOSITORY = Pattern.compile("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$");
    private static final int PER_PAGE = 100;
    private static final int MAX_PAGES = 30;

    private final URI api;
    private final Optional<String> token;
    private final HttpClient http;
    private final ObjectMapper mapper = new ObjectMapper();

    @Inject
    public GithubChangedPaths(BridgeConfig config) {
        this(config.github().apiUrl(), config.github().token());
    }

    public GithubChangedPaths(URI api, Optional<String> token) {
        this.api = api;
        this.token = token.filter(t -> !t.isBlank());
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    }

    @Override
    public List<String> of(String repository, int pullNumber, String headSha, Duration timeout) throws Unavailable {
        if (!REPOSITORY.matcher(repository).matches()) {
            throw new Unavailable("repository name is not owner/name", null);
        }
        Instant deadline = Instant.now().plus(timeout);
        Set<String> paths = new LinkedHashSet<>();
        for (int page = 1; page <= MAX_PAGES; page++) {
            JsonNode files = get(URI.create(api.toString().replaceAll("/+$", "") + "/repos/" + repository + "/pulls/"
                    + pullNumber + "/files?per_page=" + PER_PAGE + "&page=" + page), deadline);
            for (JsonNode file : files) {
                paths.add(file.path("filename").asText());
                if (file.hasNonNull("previous_filename")) {
                    paths.add(file.path("previous_filename").asText());
                }
            }
            if (files.size() < PER_PAGE) {
                break;
            }
        }
        paths.remove("");
        return new ArrayList<>(paths);
    }

    private JsonNode get(URI uri, Instant deadline) throws Unavailable {
        Duration left = Duration.between(Instant.now(), deadline);
        if (left.isNegative() || left.isZero()) {
            throw new Unavailable("GitHub did not list the files in time", null);
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(left).GET()
                .header("Accept", "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28");
        token.ifPresent(t -> request.header("Authorization", "Bearer " + t));
        try {
            HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200) {
                throw new Unavailable("GitHub answered " + response.statusCode() + " to the files listing", null);
            }
            JsonNode body = mapper.readTree(response.body());
            if (body == null || !body.isArray()) {
                throw new Unavailable("GitHub's files listing is not a JSON array", null);
            }
            return body;
        } catch (IOException e) {
            // Only the exception type: messages of HTTP clients may carry URLs or headers.
            throw new Unavailable("GitHub files listing failed: " + e.getClass().getSimpleName(), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted", null);
        }
    }
}
