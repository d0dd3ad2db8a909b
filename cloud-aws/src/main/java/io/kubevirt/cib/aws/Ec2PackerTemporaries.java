package io.kubevirt.cib.aws;

import io.kubevirt.cib.common.cloud.CloudResource;
import io.kubevirt.cib.common.cloud.CloudResource.Kind;
import io.kubevirt.cib.common.cloud.PackerNames;
import io.kubevirt.cib.common.cloud.PackerTemporaries;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.KeyPairInfo;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;

/**
 * Packer's temporary security groups and key pairs, by a server-side name filter. A group's age is read from its
 * name ({@link PackerNames}: EC2 reports none); a key pair's the same way, else from its CreateTime.
 */
public final class Ec2PackerTemporaries implements PackerTemporaries {

    private static final Set<String> GROUP_GONE = Set.of("InvalidGroup.NotFound", "InvalidGroupId.NotFound");

    private final Ec2Clients clients;

    public Ec2PackerTemporaries(Ec2Clients clients) {
        this.clients = clients;
    }

    @Override
    public List<CloudResource> findByPrefix(String location, String namePrefix) {
        String pattern = Ec2Cloud.literal(namePrefix) + "*";
        try {
            var ec2 = clients.forRegion(location);
            List<CloudResource> found = new ArrayList<>();
            for (SecurityGroup g : ec2.describeSecurityGroupsPaginator(
                    b -> b.filters(Filter.builder().name("group-name").values(pattern).build())).securityGroups()) {
                if (g.groupName().startsWith(namePrefix)) {
                    found.add(new CloudResource(Kind.SECURITY_GROUP, g.groupId(), g.groupName(), location,
                            Ec2TaggedResources.tags(g.tags()), PackerNames.createdAt(g.groupName()).orElse(null),
                            null));
                }
            }
            // DescribeKeyPairs is not paginated by EC2; the filter keeps the answer to Packer's names.
            for (KeyPairInfo k : ec2.describeKeyPairs(
                    b -> b.filters(Filter.builder().name("key-name").values(pattern).build())).keyPairs()) {
                if (k.keyName().startsWith(namePrefix)) {
                    found.add(new CloudResource(Kind.KEY_PAIR, k.keyName(), k.keyName(), location, Map.of(),
                            PackerNames.createdAt(k.keyName()).orElse(k.createTime()), null));
                }
            }
            return found;
        } catch (SdkException e) {
            throw AwsErrors.translate("Describe packer temporaries", location, e);
        }
    }

    @Override
    public boolean remove(CloudResource resource) {
        String location = resource.location();
        try {
            var ec2 = clients.forRegion(location);
            if (resource.kind() == Kind.SECURITY_GROUP) {
                ec2.deleteSecurityGroup(b -> b.groupId(resource.id()));
                return true;
            }
            if (resource.kind() == Kind.KEY_PAIR) {
                // DeleteKeyPair succeeds for a missing key: ask first, so "already gone" is reported as such.
                boolean exists = !ec2.describeKeyPairs(b -> b.filters(Filter.builder().name("key-name")
                        .values(Ec2Cloud.literal(resource.id())).build())).keyPairs().isEmpty();
                if (exists) {
                    ec2.deleteKeyPair(b -> b.keyName(resource.id()));
                }
                return exists;
            }
            throw new IllegalArgumentException("not a packer temporary: " + resource.kind());
        } catch (SdkException e) {
            if (AwsErrors.hasCode(e, GROUP_GONE)) {
                return false;
            }
            throw AwsErrors.translate("Delete " + resource.kind() + "(" + resource.id() + ")", location, e);
        }
    }
}
