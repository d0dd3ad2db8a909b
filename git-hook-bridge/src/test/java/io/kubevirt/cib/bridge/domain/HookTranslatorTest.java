package io.kubevirt.cib.bridge.domain;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.bridge.GithubPayloads;
import io.kubevirt.cib.bridge.domain.HookTranslator.Decision;
import io.kubevirt.cib.bridge.domain.HookTranslator.Outgoing;
import io.kubevirt.cib.events.BuildRequested;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.EventCodec;
import io.kubevirt.cib.events.EventIds;
import io.kubevirt.cib.events.ReleaseTagged;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class HookTranslatorTest {

    private final EventCodec codec = new EventCodec();
    private List<String> changed = List.of("packer/sources-aws.pkr.hcl");
    private boolean githubDown;
    private final ChangedPaths fake = (repo, number, sha, timeout) -> {
        if (githubDown) {
            throw new ChangedPaths.Unavailable("GitHub answered 502 to the files listing", null);
        }
        assertThat(repo).isEqualTo("Codertocat/Hello-World");
        assertThat(number).isEqualTo(2);
        return changed;
    };
    private final HookTranslator translator = new HookTranslator(
            new HookTranslator.Settings(Set.of("opened", "synchronize", "reopened"), "v1.8.2",
                    new ReleaseTags(ReleaseTags.DEFAULT_PATTERN), PathRules.defaults()),
            fake, codec, Clock.systemUTC());

    private Decision translate(String event, String delivery, byte[] body) {
        return translator.translate(event, delivery, body, Duration.ofSeconds(1));
    }

    @Test
    void openedPullRequestOnAwsFilesRequestsAnAwsBuild() throws Exception {
        String delivery = UUID.randomUUID().toString();
        Decision d = translate("pull_request", delivery, GithubPayloads.bytes("pull_request.opened.json"));

        assertThat(d).isInstanceOf(HookTranslator.Publish.class);
        List<Outgoing> events = ((HookTranslator.Publish) d).events();
        assertThat(events).hasSize(1);
        Outgoing out = events.get(0);
        assertThat(out.id()).isEqualTo(EventIds.derived(delivery, "build.requested/aws"));
        assertThat(out.topic()).isEqualTo("build.requested");
        assertThat(out.buildId()).isEqualTo("pr-2-ec26c3e-aws");
        BuildRequested data = codec.decode(BuildRequested.class, out.headers(), out.value()).data();
        assertThat(data.cloud()).isEqualTo(Cloud.AWS);
        assertThat(data.gitRef()).isEqualTo(GithubPayloads.PR_HEAD_SHA);
        assertThat(data.kubevirtVersion()).isEqualTo("v1.8.2");
        assertThat(data.requestedBy()).isEqualTo("github:Codertocat");
    }

    @Test
    void aRepeatedDeliveryYieldsTheSameEventIds() {
        String delivery = UUID.randomUUID().toString();
        changed = List.of("packer/installer/bake.sh");
        var first = (HookTranslator.Publish) translate("pull_request", delivery,
                GithubPayloads.bytes("pull_request.synchronize.json"));
        var again = (HookTranslator.Publish) translate("pull_request", delivery,
                GithubPayloads.bytes("pull_request.synchronize.json"));
        assertThat(first.events()).extracting(Outgoing::buildId)
                .containsExactlyInAnyOrder("pr-2-ec26c3e-aws", "pr-2-ec26c3e-gcp");
        assertThat(again.events()).extracting(Outgoing::id)
                .containsExactlyElementsOf(first.events().stream().map(Outgoing::id).toList());
        var other = (HookTranslator.Publish) translate("pull_request", UUID.randomUUID().toString(),
                GithubPayloads.bytes("pull_request.synchronize.json"));
        assertThat(other.events().get(0).id()).isNotEqualTo(first.events().get(0).id());
    }

    @Test
    void reopenedCountsClosedDoesNot() {
        assertThat(translate("pull_request", "d1", GithubPayloads.bytes("pull_request.reopened.json")))
                .isInstanceOf(HookTranslator.Publish.class);
        assertThat(translate("pull_request", "d2", GithubPayloads.bytes("pull_request.closed.json")))
                .isInstanceOf(HookTranslator.Ignore.class);
    }

    @Test
    void aPullRequestTouchingNoCloudPublishesNothing() {
        changed = List.of("README.md", "docs/x.md");
        assertThat(translate("pull_request", "d3", GithubPayloads.bytes("pull_request.opened.json")))
                .isInstanceOf(HookTranslator.Ignore.class);
    }

    @Test
    void noChangedPathsNoAnswer() {
        githubDown = true;
        assertThat(translate("pull_request", "d4", GithubPayloads.bytes("pull_request.opened.json")))
                .isInstanceOf(HookTranslator.Unavailable.class);
    }

    @Test
    void releaseTagPushTagsARelease() throws Exception {
        String delivery = UUID.randomUUID().toString();
        var d = (HookTranslator.Publish) translate("push", delivery, GithubPayloads.tagPush("v1.9.0-1"));
        Outgoing out = d.events().get(0);
        assertThat(out.id()).isEqualTo(EventIds.derived(delivery, "release.tagged"));
        ReleaseTagged data = codec.decode(ReleaseTagged.class, out.headers(), out.value()).data();
        assertThat(data.releaseTag()).isEqualTo("v1.9.0-1");
        assertThat(data.kubevirtVersion()).isEqualTo("v1.9.0");
        assertThat(data.gitCommit()).isEqualTo(GithubPayloads.TAGGED_COMMIT);
        assertThat(data.buildId()).isEqualTo("release-v1-9-0-1");
    }

    @Test
    void aPreReleaseTagWithARevisionIsPublished() throws Exception {
        // Since schema 1.2 the releaseTag definition takes KubeVirt pre-releases (and a revision after them).
        Decision d = translate("push", "d5", GithubPayloads.tagPush("v1.9.0-rc.1-2"));
        assertThat(d).isInstanceOf(HookTranslator.Publish.class);
        Outgoing out = ((HookTranslator.Publish) d).events().get(0);
        ReleaseTagged data = codec.decode(ReleaseTagged.class, out.headers(), out.value()).data();
        assertThat(data.releaseTag()).isEqualTo("v1.9.0-rc.1-2");
        assertThat(data.kubevirtVersion()).isEqualTo("v1.9.0-rc.1");
    }

    @Test
    void otherPushesAreIgnored() {
        assertThat(translate("push", "d6", GithubPayloads.bytes("push.tag-created.json")))
                .isInstanceOf(HookTranslator.Ignore.class);
        assertThat(translate("push", "d7", GithubPayloads.bytes("push.tag-deleted.json")))
                .isInstanceOf(HookTranslator.Ignore.class);
        assertThat(translate("push", "d8", GithubPayloads.bytes("push.branch.json")))
                .isInstanceOf(HookTranslator.Ignore.class);
    }

    @Test
    void pingOtherEventsAndBadInput() {
        assertThat(translate("ping", "d9", GithubPayloads.bytes("ping.json"))).isInstanceOf(HookTranslator.Pong.class);
        assertThat(translate("issues", "d10", "{}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(HookTranslator.Ignore.class);
        assertThat(translate("push", "d11", "{not json".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(HookTranslator.Refuse.class);
        assertThat(translate("push", "d12", "[1]".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(HookTranslator.Refuse.class);
        assertThat(translate("push", null, GithubPayloads.bytes("push.branch.json")))
                .isInstanceOf(HookTranslator.Refuse.class);
        assertThat(translate(null, "d13", GithubPayloads.bytes("push.branch.json")))
                .isInstanceOf(HookTranslator.Refuse.class);
    }
}
