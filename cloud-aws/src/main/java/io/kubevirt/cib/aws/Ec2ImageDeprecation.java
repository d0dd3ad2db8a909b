package io.kubevirt.cib.aws;

import io.kubevirt.cib.common.cloud.CloudResource;
import io.kubevirt.cib.common.cloud.ImageDeprecation;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import software.amazon.awssdk.core.exception.SdkException;

/** EnableImageDeprecation. EC2 refuses a time in the past, so "now" becomes the next minute. */
public final class Ec2ImageDeprecation implements ImageDeprecation {

    private static final Set<String> IMAGE_GONE = Set.of("InvalidAMIID.NotFound", "InvalidAMIID.Unavailable");

    private final Ec2Clients clients;
    private final Clock clock;

    public Ec2ImageDeprecation(Ec2Clients clients, Clock clock) {
        this.clients = clients;
        this.clock = clock;
    }

    @Override
    public boolean deprecate(CloudResource image, Instant at) {
        Instant earliest = clock.instant().plus(Duration.ofMinutes(1));
        Instant when = at.isBefore(earliest) ? earliest : at;
        try {
            clients.forRegion(image.location()).enableImageDeprecation(b -> b.imageId(image.id()).deprecateAt(when));
            return true;
        } catch (SdkException e) {
            if (AwsErrors.hasCode(e, IMAGE_GONE)) {
                return false;
            }
            throw AwsErrors.translate("EnableImageDeprecation(" + image.id() + ")", image.location(), e);
        }
    }
}
