package io.kubevirt.cib.aws;

import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.cloud.ImageCopies;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.waiters.WaiterOverrideConfiguration;
import software.amazon.awssdk.core.waiters.WaiterResponse;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeImagesResponse;
import software.amazon.awssdk.services.ec2.waiters.Ec2Waiter;

/**
 * {@link ImageCopies} on EC2: CopyImage is called in the destination region (its own throttle bucket and client),
 * and the SDK's image-available waiter waits within the caller's budget.
 */
public final class Ec2ImageCopies implements ImageCopies {

    private final Ec2Clients clients;
    private final Ec2Cloud lookups;
    private final Duration pollInterval;

    /** @param pollInterval between DescribeImages polls of the waiter (copies take minutes to over an hour) */
    public Ec2ImageCopies(Ec2Clients clients, Duration pollInterval) {
        this.clients = clients;
        this.lookups = new Ec2Cloud(clients);
        this.pollInterval = pollInterval;
    }

    @Override
    public Optional<CloudImage> findCopy(String region, Map<String, String> tags, String name) {
        return lookups.findImages(region, tags).stream().findFirst()
                .or(() -> lookups.findImagesByName(region, name).stream().findFirst());
    }

    @Override
    public String copy(CopyRequest request) {
        return call("CopyImage", request.region(), ec2 -> ec2.copyImage(r -> r
                .sourceRegion(request.sourceRegion())
                .sourceImageId(request.sourceImageId())
                .name(request.name())
                .description(request.description())
                .clientToken(request.clientToken())).imageId());
    }

    @Override
    public CloudImage awaitAvailable(String region, String imageId, Duration budget) {
        Ec2Client ec2 = clients.forRegion(region);
        try (Ec2Waiter waiter = Ec2Waiter.builder().client(ec2)
                .overrideConfiguration(WaiterOverrideConfiguration.builder()
                        .waitTimeout(budget)
                        .maxAttempts(Integer.MAX_VALUE) // the budget ends the wait, not a count
                        .backoffStrategyV2(BackoffStrategy.fixedDelay(pollInterval))
                        .build())
                .build()) {
            WaiterResponse<DescribeImagesResponse> response =
                    waiter.waitUntilImageAvailable(r -> r.imageIds(imageId).owners("self"));
            return response.matched().response()
                    .flatMap(d -> d.images().stream().findFirst())
                    .map(image -> Ec2Cloud.toCloudImage(region, image))
                    .orElseThrow(() -> new CloudException("EC2 image " + imageId + " in " + region
                            + " did not become available within " + budget, true, null));
        } catch (SdkException e) {
            throw AwsErrors.translate("waitUntilImageAvailable(" + imageId + ")", region, e);
        }
    }

    @Override
    public void deprecate(String region, String imageId, Instant at) {
        call("EnableImageDeprecation", region, ec2 -> ec2.enableImageDeprecation(r -> r.imageId(imageId)
                .deprecateAt(at)));
    }

    private static <T> T call(String operation, String region, Ec2Call<T> action, Ec2Clients clients) {
        try {
            return action.apply(clients.forRegion(region));
        } catch (SdkException e) {
            throw AwsErrors.translate(operation, region, e);
        }
    }

    private <T> T call(String operation, String region, Ec2Call<T> action) {
        return call(operation, region, action, clients);
    }

    @FunctionalInterface
    interface Ec2Call<T> {
        T apply(Ec2Client ec2);
    }
}
