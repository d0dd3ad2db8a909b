package io.kubevirt.cib.common.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What every {@link ImageExports} does; run against the fake and GCE/Cloud Build on the LocalComputeServer. */
public abstract class ImageExportsContract {

    protected abstract ImageExports exports();

    protected abstract CloudFixture fixture();

    /** Where images are seeded (GCP: "global"). */
    protected abstract String location();

    /** Exports started from now on take this long (zero: at once). */
    protected abstract void exportsTake(Duration duration);

    private String image() {
        return fixture().seedImage(location(), "exp-" + UUID.randomUUID().toString().substring(0, 13), Map.of());
    }

    @Test
    void anExportSucceedsAndARerunReturnsItWithoutStartingAnother() {
        exportsTake(Duration.ZERO);
        String image = image();
        String uri = exports().destinationFor(image);
        assertThat(uri).startsWith("gs://").endsWith("/" + image + ".tar.gz");
        assertThat(exports().find(image, uri)).isEmpty();

        ImageExports.Export first = exports().export(image, uri);
        ImageExports.Export again = exports().export(image, uri);

        assertThat(first.state()).isEqualTo(ImageExports.Export.State.SUCCEEDED);
        assertThat(first.imageId()).isEqualTo(image);
        assertThat(first.destinationUri()).isEqualTo(uri);
        assertThat(again.id()).isEqualTo(first.id());
        assertThat(exports().find(image, uri)).map(ImageExports.Export::id).contains(first.id());
    }

    @Test
    void aRerunWhileTheExportRunsJoinsIt() throws Exception {
        exportsTake(Duration.ofMillis(1500));
        try {
            String image = image();
            String uri = exports().destinationFor(image);
            CompletableFuture<ImageExports.Export> first = CompletableFuture.supplyAsync(
                    () -> exports().export(image, uri));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (exports().find(image, uri).isEmpty() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(exports().find(image, uri)).map(ImageExports.Export::state)
                    .contains(ImageExports.Export.State.RUNNING);

            ImageExports.Export joined = exports().export(image, uri);

            assertThat(joined.state()).isEqualTo(ImageExports.Export.State.SUCCEEDED);
            assertThat(first.get(10, TimeUnit.SECONDS).id()).isEqualTo(joined.id());
        } finally {
            exportsTake(Duration.ZERO);
        }
    }

    @Test
    void anotherDestinationIsAnotherExport() {
        exportsTake(Duration.ZERO);
        String image = image();
        ImageExports.Export one = exports().export(image, exports().destinationFor(image));
        ImageExports.Export other = exports().export(image, exports().destinationFor(image + "-copy"));
        assertThat(other.id()).isNotEqualTo(one.id());
    }

    @Test
    void exportingAMissingImageFailsForGood() {
        exportsTake(Duration.ZERO);
        String missing = "exp-missing-" + UUID.randomUUID().toString().substring(0, 8);
        String uri = exports().destinationFor(missing);
        assertThatThrownBy(() -> exports().export(missing, uri))
                .isInstanceOf(CloudException.class)
                .satisfies(e -> assertThat(((CloudException) e).retryable()).isFalse());
        assertThat(exports().find(missing, uri)).isEmpty();
    }
}
