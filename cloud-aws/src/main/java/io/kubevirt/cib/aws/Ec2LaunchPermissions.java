package io.kubevirt.cib.aws;

import io.kubevirt.cib.common.cloud.LaunchPermissions;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.model.ImageAttributeName;
import software.amazon.awssdk.services.ec2.model.PermissionGroup;

/** {@link LaunchPermissions} on EC2: the launchPermission attribute, group {@code all}. */
public final class Ec2LaunchPermissions implements LaunchPermissions {

    private final Ec2Clients clients;

    public Ec2LaunchPermissions(Ec2Clients clients) {
        this.clients = clients;
    }

    @Override
    public void makePublic(String region, String imageId) {
        try {
            clients.forRegion(region).modifyImageAttribute(r -> r.imageId(imageId)
                    .launchPermission(p -> p.add(a -> a.group(PermissionGroup.ALL))));
        } catch (SdkException e) {
            throw AwsErrors.translate("ModifyImageAttribute(launchPermission)", region, e);
        }
    }

    @Override
    public boolean isPublic(String region, String imageId) {
        try {
            return clients.forRegion(region).describeImageAttribute(r -> r.imageId(imageId)
                    .attribute(ImageAttributeName.LAUNCH_PERMISSION)).launchPermissions().stream()
                    .anyMatch(p -> p.group() == PermissionGroup.ALL);
        } catch (SdkException e) {
            throw AwsErrors.translate("DescribeImageAttribute(launchPermission)", region, e);
        }
    }
}
