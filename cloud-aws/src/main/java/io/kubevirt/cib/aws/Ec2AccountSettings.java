package io.kubevirt.cib.aws;

import io.kubevirt.cib.common.cloud.AccountSettings;
import java.util.OptionalInt;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * {@link AccountSettings} on EC2. The public-AMI quota lives in Service Quotas, which this adapter does not call (no
 * SDK module for it here): it reports the quota as unreadable and CopyImage's own refusal names it per region.
 */
public final class Ec2AccountSettings implements AccountSettings {

    private final Ec2Clients clients;

    public Ec2AccountSettings(Ec2Clients clients) {
        this.clients = clients;
    }

    @Override
    public boolean blocksPublicImages(String region) {
        try {
            String state = clients.forRegion(region).getImageBlockPublicAccessState(r -> { })
                    .imageBlockPublicAccessState();
            return state != null && !state.equals("unblocked");
        } catch (SdkException e) {
            throw AwsErrors.translate("GetImageBlockPublicAccessState", region, e);
        }
    }

    @Override
    public OptionalInt publicImagesLeft(String region) {
        return OptionalInt.empty();
    }
}
