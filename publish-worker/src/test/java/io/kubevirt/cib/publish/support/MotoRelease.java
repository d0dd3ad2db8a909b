package io.kubevirt.cib.publish.support;

import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.cloud.VerifiedMarker;
import io.kubevirt.cib.devstack.MotoServer;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ReleaseTagged;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Image;
import software.amazon.awssdk.services.ec2.model.ImageAttributeName;
import software.amazon.awssdk.services.ec2.model.InstanceType;
import software.amazon.awssdk.services.ec2.model.PermissionGroup;
import software.amazon.awssdk.services.ec2.model.Tag;

/**
 * What the publish tests read and seed in moto directly (never through the worker's adapters): a verified source
 * image, the account's regions, a release's images per region counted by tag and by name, launch permissions.
 */
public final class MotoRelease implements AutoCloseable {

    public static final String SOURCE = "us-west-1";

    private final String endpoint;
    private final Map<String, Ec2Client> clients = new ConcurrentHashMap<>();

    /** @param endpoint moto itself, not the proxy: what the test reads must not be delayed or failed */
    public MotoRelease(String endpoint) {
        this.endpoint = endpoint;
    }

    /** A release of {@code tag} for AWS, as the git-hook bridge sends it. */
    public static ReleaseTagged release(String tag, String version, String commit) {
        return new ReleaseTagged(EventType.CURRENT_VERSION, "release-" + tag.replace('.', '-'), tag, version,
                List.of(Cloud.AWS), commit, null, null, null);
    }

    public Ec2Client ec2(String region) {
        return clients.computeIfAbsent(region, r -> Ec2Client.builder().region(Region.of(r))
                .endpointOverride(URI.create(endpoint))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .build());
    }

    /** The source's partition's regions by opt-in status, as the account reports them (never a list in code). */
    public record Regions(Set<String> enabled, Set<String> notOptedIn) {
    }

    public Regions regions() {
        Set<String> enabled = new TreeSet<>();
        Set<String> notOptedIn = new TreeSet<>();
        String partition = Region.of(SOURCE).metadata().partition().id();
        ec2(SOURCE).describeRegions(r -> r.allRegions(true)).regions().forEach(r -> {
            var metadata = Region.of(r.regionName()).metadata();
            if (metadata == null || !metadata.partition().id().equals(partition)) {
                return;
            }
            ("not-opted-in".equals(r.optInStatus()) ? notOptedIn : enabled).add(r.regionName());
        });
        return new Regions(enabled, notOptedIn);
    }

    /** A built image in the source region, with the test-worker's verified marker. */
    public String seedVerifiedImage(String version, String commit) {
        Ec2Client ec2 = ec2(SOURCE);
        String instance = ec2.runInstances(r -> r.imageId(MotoServer.BASE_AMI_ID).instanceType(InstanceType.T3_MICRO)
                .minCount(1).maxCount(1)).instances().get(0).instanceId();
        String image = ec2.createImage(r -> r.instanceId(instance).name("cib-build-" + version)).imageId();
        ec2.terminateInstances(r -> r.instanceIds(instance));
        String buildId = "b-" + version.replace('.', '-');
        Map<String, String> tags = new HashMap<>(Map.of(ResourceTags.BUILD_ID, buildId,
                ResourceTags.KUBEVIRT_VERSION, version));
        tags.putAll(new VerifiedMarker(buildId, version, null, commit, "evt-" + version,
                Clock.systemUTC().instant()).tags());
        ec2.createTags(r -> r.resources(image).tags(tags.entrySet().stream()
                .map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList()));
        return image;
    }

    /**
     * Every image of the release in a region other than the source: those tagged with the release, and those named
     * as the worker names a copy (a copy whose tags never landed has only its name). Ids, sorted, no duplicates.
     */
    public Set<String> copies(String region, String releaseTag, String sourceImage) {
        Set<String> ids = new TreeSet<>();
        ec2(region).describeImages(r -> r.owners("self").filters(Filter.builder()
                .name("tag:" + ResourceTags.RELEASE_TAG).values(releaseTag).build())).images()
                .forEach(i -> ids.add(i.imageId()));
        ids.addAll(copiesByName(region, releaseTag, sourceImage).stream().map(Image::imageId).toList());
        return ids;
    }

    /** The images named as the worker names a copy of this release (the name is chosen before CopyImage). */
    public List<Image> copiesByName(String region, String releaseTag, String sourceImage) {
        return ec2(region).describeImages(r -> r.owners("self").filters(Filter.builder().name("name")
                .values("cib-" + releaseTag + "-" + sourceImage).build())).images();
    }

    public boolean isPublic(String region, String imageId) {
        return ec2(region).describeImageAttribute(r -> r.imageId(imageId)
                .attribute(ImageAttributeName.LAUNCH_PERMISSION))
                .launchPermissions().stream().anyMatch(p -> p.group() == PermissionGroup.ALL);
    }

    public static String ceId(ConsumerRecord<String, String> r) {
        Header h = r.headers().lastHeader("ce_id");
        return h == null ? "" : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        clients.values().forEach(Ec2Client::close);
    }
}
