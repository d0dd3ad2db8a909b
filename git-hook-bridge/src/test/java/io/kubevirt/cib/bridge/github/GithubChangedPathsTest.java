package io.kubevirt.cib.bridge.github;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.kubevirt.cib.bridge.domain.ChangedPaths;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The REST adapter against a local server answering like GitHub's pulls/{n}/files. */
class GithubChangedPathsTest {

    private HttpServer server;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<String> auth = new CopyOnWriteArrayList<>();
    private volatile int status = 200;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/repos/", exchange -> {
            requests.add(exchange.getRequestURI().toString());
            auth.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            String query = exchange.getRequestURI().getQuery();
            int page = Integer.parseInt(query.replaceAll(".*page=(\\d+).*", "$1"));
            // Page 1: 100 files; page 2: one rename out of aws/.
            String body = page == 1
                    ? IntStream.range(0, 100).mapToObj(i -> "{\"filename\":\"docs/f" + i + ".md\"}")
                            .collect(Collectors.joining(",", "[", "]"))
                    : "[{\"filename\":\"packer/common.pkr.hcl\",\"previous_filename\":\"packer/aws.pkr.hcl\","
                            + "\"status\":\"renamed\"}]";
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private URI api() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Test
    void pagesThroughAndCountsRenamesTwice() throws Exception {
        var paths = new GithubChangedPaths(api(), Optional.of("t0ken")).of("Codertocat/Hello-World", 2,
                "ec26c3e57ca3a959ca5aad62de7213c562f8c821", Duration.ofSeconds(5));

        assertThat(paths).hasSize(102).contains("packer/common.pkr.hcl", "packer/aws.pkr.hcl", "docs/f0.md");
        assertThat(requests).containsExactly(
                "/repos/Codertocat/Hello-World/pulls/2/files?per_page=100&page=1",
                "/repos/Codertocat/Hello-World/pulls/2/files?per_page=100&page=2");
        assertThat(auth).containsOnly("Bearer t0ken");
    }

    @Test
    void anErrorIsUnavailableWithoutEchoingTheToken() {
        status = 403;
        assertThatThrownBy(() -> new GithubChangedPaths(api(), Optional.of("t0ken")).of("o/r", 1, "x",
                Duration.ofSeconds(5)))
                .isInstanceOf(ChangedPaths.Unavailable.class)
                .hasMessageContaining("403")
                .hasMessageNotContaining("t0ken");
        assertThatThrownBy(() -> new GithubChangedPaths(api(), Optional.empty()).of("../etc", 1, "x",
                Duration.ofSeconds(5)))
                .isInstanceOf(ChangedPaths.Unavailable.class);
    }
}
