package io.kubevirt.cib.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.cloud.compute.v1.Binding;
import com.google.cloud.compute.v1.Policy;
import com.google.cloudbuild.v1.Build;
import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.common.cloud.CloudFixture;
import io.kubevirt.cib.common.cloud.ImageExports;
import io.kubevirt.cib.common.cloud.ImageExportsContract;
import io.kubevirt.cib.common.cloud.ImageFamilies;
import io.kubevirt.cib.common.cloud.ImageFamiliesContract;
import io.kubevirt.cib.common.cloud.LaunchPermissions;
import io.kubevirt.cib.common.cloud.LaunchPermissionsContract;
import io.kubevirt.cib.common.wait.GuardedWaiter;
import io.kubevirt.cib.gcp.testing.GceFixture;
import io.kubevirt.cib.gcp.testing.LocalComputeServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The publishing contracts against the GCE adapters: image IAM, images.insert/deprecate/getFromFamily on the
 * LocalComputeServer, and the export through its Cloud Build paths (same port, the Cloud Build endpoint override).
 */
class GcePublishingContractTest {

    static final String PROJECT = "cib-publish";
    static final String GLOBAL = GceLocations.GLOBAL;

    private static LocalComputeServer server;
    private static GceClients clients;
    private static GuardedWaiter waiter;
    private static GceLaunchPermissions permissions;
    private static GceImageExports exports;
    private static GceImageFamilies families;
    private static GceFixture fixture;

    @BeforeAll
    static void start() {
        server = LocalComputeServer.start();
        clients = GceFixture.clients(server, PROJECT);
        waiter = new GuardedWaiter(new SimpleMeterRegistry());
        permissions = new GceLaunchPermissions(clients, waiter);
        exports = exports(Duration.ofSeconds(20));
        families = new GceImageFamilies(clients);
        fixture = new GceFixture(server, PROJECT);
    }

    private static GceImageExports exports(Duration budget) {
        return new GceImageExports(clients, new GceImageExports.Settings(Optional.of("cib-exports"),
                "us-central1-a", budget, Duration.ofMillis(10), Duration.ofMillis(100),
                Optional.of(server.endpointUri())), waiter);
    }

    @AfterAll
    static void stop() {
        if (exports != null) {
            exports.close();
        }
        if (clients != null) {
            clients.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Nested
    class Permissions extends LaunchPermissionsContract {
        @Override
        protected LaunchPermissions permissions() {
            return permissions;
        }

        @Override
        protected CloudFixture fixture() {
            return fixture;
        }

        @Override
        protected String location() {
            return GLOBAL;
        }
    }

    @Nested
    class Exports extends ImageExportsContract {
        @Override
        protected ImageExports exports() {
            return exports;
        }

        @Override
        protected CloudFixture fixture() {
            return fixture;
        }

        @Override
        protected String location() {
            return GLOBAL;
        }

        @Override
        protected void exportsTake(Duration duration) {
            server.cloudBuild().setBuildDuration(duration);
        }
    }

    @Nested
    class Families extends ImageFamiliesContract {
        @Override
        protected ImageFamilies families() {
            return families;
        }

        @Override
        protected CloudFixture fixture() {
            return fixture;
        }

        @Override
        protected String location() {
            return GLOBAL;
        }
    }

    @Test
    void publicMeansAllAuthenticatedUsersAreImageUsersAndOtherBindingsStay() {
        server.seedImage(PROJECT, "iam-image", Map.of());
        permissions.makePublic(GLOBAL, "iam-image");
        // Someone else adds a binding; making it public again keeps it and writes nothing.
        Policy policy = server.imagePolicy(PROJECT, "iam-image");
        assertThat(policy.getBindingsList()).singleElement().satisfies(b -> {
            assertThat(b.getRole()).isEqualTo("roles/compute.imageUser");
            assertThat(b.getMembersList()).containsExactly("allAuthenticatedUsers");
        });
        long writes = server.imageCalls().stream().filter(c -> c.equals("setIamPolicy iam-image")).count();
        permissions.makePublic(GLOBAL, "iam-image");
        assertThat(server.imageCalls().stream().filter(c -> c.equals("setIamPolicy iam-image")).count())
                .isEqualTo(writes);
        assertThat(server.imagePolicy(PROJECT, "iam-image").getBindingsList()).extracting(Binding::getRole)
                .containsExactly("roles/compute.imageUser");
    }

    @Test
    void aStaleEtagIsReadAgainNotFailed() {
        server.seedImage(PROJECT, "iam-race", Map.of());
        server.failNextRequests(1, 412, "POST", "/global/images/iam-race/setIamPolicy$");
        permissions.makePublic(GLOBAL, "iam-race");
        assertThat(permissions.isPublic(GLOBAL, "iam-race")).isTrue();
    }

    @Test
    void theExportIsTheGcloudStepWithItsArgumentsAndOurTag() {
        server.seedImage(PROJECT, "exp-args", Map.of());
        ImageExports.Export done = exports.export("exp-args", exports.destinationFor("exp-args"));

        Build build = server.cloudBuild().builds().stream().filter(b -> b.getId().equals(done.id())).findFirst()
                .orElseThrow();
        assertThat(build.getSteps(0).getName()).endsWith("gce_vm_image_export:release");
        assertThat(build.getSteps(0).getArgsList()).contains(
                "-source_image=projects/cib-publish/global/images/exp-args",
                "-destination_uri=gs://cib-exports/exp-args.tar.gz", "-zone=us-central1-a", "-timeout=20s");
        assertThat(build.getTimeout().getSeconds()).isEqualTo(20);
        assertThat(build.getTagsList()).contains(GceImageExports.tag("exp-args", "gs://cib-exports/exp-args.tar.gz"));
        assertThat(server.cloudBuild().exportedObjects()).containsEntry("gs://cib-exports/exp-args.tar.gz",
                "projects/cib-publish/global/images/exp-args");
    }

    @Test
    void anExportLongerThanTheBudgetIsRetryableAndTheRerunJoinsIt() {
        server.seedImage(PROJECT, "exp-slow", Map.of());
        server.cloudBuild().setBuildDuration(Duration.ofSeconds(2));
        try (GceImageExports impatient = exports(Duration.ofMillis(400))) {
            String uri = impatient.destinationFor("exp-slow");
            int before = server.cloudBuild().createRequests();
            assertThatThrownBy(() -> impatient.export("exp-slow", uri))
                    .isInstanceOf(CloudException.class)
                    .hasMessageContaining("did not finish")
                    .satisfies(e -> assertThat(((CloudException) e).retryable()).isTrue());

            ImageExports.Export done = exports.export("exp-slow", uri);

            assertThat(done.state()).isEqualTo(ImageExports.Export.State.SUCCEEDED);
            assertThat(server.cloudBuild().createRequests()).isEqualTo(before + 1);
        } finally {
            server.cloudBuild().setBuildDuration(Duration.ZERO);
        }
    }

    @Test
    void aFailedExportIsReportedAndARerunStartsAnother() {
        server.seedImage(PROJECT, "exp-fail", Map.of());
        String uri = exports.destinationFor("exp-fail");
        server.cloudBuild().failNextBuild("step 0 exited 1: quota");
        assertThatThrownBy(() -> exports.export("exp-fail", uri))
                .isInstanceOf(CloudException.class)
                .hasMessageContaining("FAILURE").hasMessageContaining("quota")
                .satisfies(e -> assertThat(((CloudException) e).retryable()).isFalse());
        assertThat(exports.find("exp-fail", uri)).isEmpty();

        assertThat(exports.export("exp-fail", uri).state()).isEqualTo(ImageExports.Export.State.SUCCEEDED);
    }

    @Test
    void withoutABucketTheExportNamesTheSetting() {
        GceImageExports unconfigured = new GceImageExports(clients, new GceImageExports.Settings(Optional.empty(),
                "us-central1-a", Duration.ofMinutes(1), Duration.ofMillis(10), Duration.ofMillis(100),
                Optional.of(server.endpointUri())), waiter);
        assertThatThrownBy(() -> unconfigured.destinationFor("x")).isInstanceOf(CloudException.class)
                .hasMessageContaining("cib.gcp.export.bucket");
    }

    @Test
    void thePublishOrderOnTheComputeApiHoldsTheImageOutOfItsFamilyUntilTheEnd() {
        server.seedImage(PROJECT, "verified-img", Map.of());
        server.clearRequests();
        int mark = server.imageCalls().size();

        families.addHeld("kubevirt-order", "verified-img", "kubevirt-order-v2", Map.of("cib-build-id", "release-v2"));
        assertThat(families.resolve("kubevirt-order")).isEmpty();
        permissions.makePublic(GLOBAL, "kubevirt-order-v2");
        exports.export("kubevirt-order-v2", exports.destinationFor("kubevirt-order-v2"));
        assertThat(families.resolve("kubevirt-order")).isEmpty();
        families.release("kubevirt-order-v2");

        assertThat(families.resolve("kubevirt-order")).contains("kubevirt-order-v2");
        assertThat(server.imageCalls().subList(mark, server.imageCalls().size())).containsExactly(
                "insert kubevirt-order-v2", "deprecate kubevirt-order-v2 DEPRECATED",
                "setIamPolicy kubevirt-order-v2", "deprecate kubevirt-order-v2 ACTIVE");
        assertThat(server.image(PROJECT, "kubevirt-order-v2")).hasValueSatisfying(image -> {
            assertThat(image.getFamily()).isEqualTo("kubevirt-order");
            assertThat(image.getLabelsMap()).containsEntry("cib-build-id", "release-v2");
            assertThat(image.hasDeprecated()).isFalse();
        });
    }

    @Test
    void aHeldImageIsNotARetirementForTheSweep() {
        server.seedImage(PROJECT, "verified-hold", Map.of());
        families.addHeld("kubevirt-hold", "verified-hold", "kubevirt-hold-v1", Map.of("cib-build-id", "release-v1"));

        var found = new GceTaggedResources(clients).findTagged(GLOBAL,
                io.kubevirt.cib.common.cloud.CloudResource.Kind.IMAGE, "cib-build-id").stream()
                .filter(r -> r.id().equals("kubevirt-hold-v1")).findFirst().orElseThrow();

        assertThat(found.deprecatedAt()).isNull();
    }

    @Test
    void aNameTakenInAnotherFamilyIsRefused() {
        server.seedImage(PROJECT, "verified-taken", Map.of());
        families.addHeld("family-a", "verified-taken", "kubevirt-taken", Map.of());
        assertThatThrownBy(() -> families.addHeld("family-b", "verified-taken", "kubevirt-taken", Map.of()))
                .isInstanceOf(CloudException.class).hasMessageContaining("family-a");
    }
}
