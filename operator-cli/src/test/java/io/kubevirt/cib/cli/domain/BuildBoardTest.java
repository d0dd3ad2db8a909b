package io.kubevirt.cib.cli.domain;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.events.BuildFailed;
import io.kubevirt.cib.events.BuildRequested;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.ImageBuilt;
import io.kubevirt.cib.events.ImageVerified;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class BuildBoardTest {

    private final Instant t0 = Instant.parse("2026-12-03T10:00:00Z");

    @Test
    void phasesRunEndAndShowElapsedTime() {
        var board = new BuildBoard();
        board.apply(new BuildRequested("1.0", "b1", Cloud.AWS, "v1.8.2", null, null, null, null, null, null, null), t0);
        assertThat(board.rows().get(0).build().cell(t0.plusSeconds(42))).isEqualTo("running 42s");

        board.apply(new ImageBuilt("1.0", "b1", Cloud.AWS, "us-west-1", null, "ami-0f1e2d3c4b5a69788", null,
                "v1.8.2", null, null, null, null, null, null, null), t0.plusSeconds(2412));
        var row = board.rows().get(0);
        assertThat(row.build().cell(t0.plusSeconds(9999))).isEqualTo("ok 40m12s");
        assertThat(row.verify().cell(t0.plusSeconds(2472))).isEqualTo("running 1m00s");

        board.apply(new ImageVerified("1.0", "b1", Cloud.AWS, "us-west-1", null, "ami-0f1e2d3c4b5a69788", null,
                ImageVerified.Outcome.FAILED, "no guest", List.of(), "v1.8.2", null, null, null, null, null, null),
                t0.plusSeconds(2512));
        assertThat(row.verify().cell(t0.plusSeconds(9999))).isEqualTo("failed 1m40s");
        assertThat(board.render(t0.plusSeconds(2513))).contains("b1").contains("aws").contains("ok 40m12s")
                .contains("failed 1m40s").contains("image.verified 1s ago");
    }

    @Test
    void aReplayRestartsItsPhase() {
        var board = new BuildBoard();
        var built = new ImageBuilt("1.0", "b2", Cloud.GCP, "us-central1-b", null, "img-1", null, "v1.8.2", null, null,
                null, null, null, null, null);
        board.apply(built, t0);
        board.apply(new ImageVerified("1.0", "b2", Cloud.GCP, "us-central1-b", null, "img-1", null,
                ImageVerified.Outcome.FAILED, "x", null, "v1.8.2", null, null, null, null, null, null), t0.plusSeconds(5));
        board.apply(built, t0.plusSeconds(100));
        assertThat(board.rows().get(0).verify().cell(t0.plusSeconds(103))).isEqualTo("running 3s");
    }

    @Test
    void failedBuilds() {
        var board = new BuildBoard();
        board.apply(new BuildRequested("1.0", "b3", Cloud.AWS, "v1.8.2", null, null, null, null, null, null, null), t0);
        board.apply(new BuildFailed("1.0", "b3", Cloud.AWS, null, "v1.8.2", null, BuildFailed.Stage.PACKER, "boom",
                false, null, null, null), t0.plusMillis(850));
        assertThat(board.rows().get(0).build().cell(t0.plusSeconds(60))).isEqualTo("failed 850ms");
        assertThat(Evidence.summary(new BuildFailed("1.0", "b3", Cloud.AWS, null, "v1.8.2", null,
                BuildFailed.Stage.PACKER, "boom", true, null, null, null))).isEqualTo("FAILED at packer (retryable): boom");
    }

    @Test
    void releaseTagVersions() {
        assertThat(ReleaseVersions.kubevirtVersion("v1.9.0-2")).contains("v1.9.0");
        assertThat(ReleaseVersions.kubevirtVersion("v1.9.0-rc.1")).contains("v1.9.0-rc.1");
        assertThat(ReleaseVersions.kubevirtVersion("simple-tag")).isEmpty();
    }
}
