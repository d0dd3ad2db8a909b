package io.kubevirt.cib.gcp;

import com.google.api.gax.rpc.ApiException;
import com.google.cloud.compute.v1.Binding;
import com.google.cloud.compute.v1.GetIamPolicyImageRequest;
import com.google.cloud.compute.v1.GlobalSetPolicyRequest;
import com.google.cloud.compute.v1.Policy;
import com.google.cloud.compute.v1.SetIamPolicyImageRequest;
import io.kubevirt.cib.common.cloud.LaunchPermissions;
import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.WaitPolicy;
import io.kubevirt.cib.common.phase.Waiter;
import java.time.Duration;

/**
 * {@link LaunchPermissions} on GCE: the image's IAM policy. Public = {@code allAuthenticatedUsers} holds
 * {@code roles/compute.imageUser} (GCE refuses {@code allUsers} on images). makePublic reads the policy, adds the
 * member (keeping every other binding) and writes it back with the etag it read; if someone changed the policy in
 * between, GCE refuses the write (412/409) and it reads again. Already public: no write. The {@code region} argument
 * is the image's location, always "global" on GCP; images are addressed by name in the configured project.
 */
public final class GceLaunchPermissions implements LaunchPermissions {

    static final String ROLE = "roles/compute.imageUser";
    static final String MEMBER = "allAuthenticatedUsers";
    static final WaitPolicy POLICY_RETRY = new WaitPolicy(Duration.ofMillis(100), Duration.ofSeconds(2),
            Duration.ofSeconds(30));

    private final GceClients clients;
    private final Waiter waiter;

    public GceLaunchPermissions(GceClients clients, Waiter waiter) {
        this.clients = clients;
        this.waiter = waiter;
    }

    @Override
    public void makePublic(String region, String imageId) {
        String project = clients.project();
        String operation = "images.setIamPolicy(" + imageId + ") in project " + project;
        try {
            waiter.retrying("gce-image-iam", POLICY_RETRY, Attempt.uncancellable(operation),
                    e -> e instanceof ApiException api && isConcurrentChange(api),
                    () -> makePublicOnce(project, imageId));
        } catch (ApiException e) {
            throw GceErrors.translate(operation, e);
        }
    }

    @Override
    public boolean isPublic(String region, String imageId) {
        String project = clients.project();
        return GceCalls.call("images.getIamPolicy(" + imageId + ") in project " + project,
                () -> isPublic(policy(project, imageId)));
    }

    private void makePublicOnce(String project, String imageId) {
        Policy policy = policy(project, imageId);
        if (isPublic(policy)) {
            return;
        }
        Policy.Builder updated = policy.toBuilder();
        int index = -1;
        for (int i = 0; i < updated.getBindingsCount(); i++) {
            if (ROLE.equals(updated.getBindings(i).getRole()) && !updated.getBindings(i).hasCondition()) {
                index = i;
            }
        }
        if (index >= 0) {
            updated.setBindings(index, updated.getBindings(index).toBuilder().addMembers(MEMBER));
        } else {
            updated.addBindings(Binding.newBuilder().setRole(ROLE).addMembers(MEMBER));
        }
        clients.images().setIamPolicy(SetIamPolicyImageRequest.newBuilder()
                .setProject(project)
                .setResource(imageId)
                .setGlobalSetPolicyRequestResource(GlobalSetPolicyRequest.newBuilder().setPolicy(updated))
                .build());
    }

    private Policy policy(String project, String imageId) {
        return clients.images().getIamPolicy(GetIamPolicyImageRequest.newBuilder()
                .setProject(project).setResource(imageId).build());
    }

    static boolean isPublic(Policy policy) {
        return policy.getBindingsList().stream().anyMatch(b -> ROLE.equals(b.getRole()) && !b.hasCondition()
                && b.getMembersList().contains(MEMBER));
    }

    private static boolean isConcurrentChange(ApiException e) {
        int status = GceErrors.httpStatus(e);
        return status == 412 || status == 409;
    }
}
