package io.kubevirt.cib.bridge.domain;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubevirt.cib.events.BuildRequested;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventCodec;
import io.kubevirt.cib.events.EventIds;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.PipelineEvent;
import io.kubevirt.cib.events.ReleaseTagged;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What one authenticated GitHub delivery means for the pipeline. Event ids derive from the delivery id, so a repeated
 * delivery (GitHub's "Redeliver", a retry after a timeout, another replica) yields the same events, which consumers
 * recognise as already handled.
 */
public final class HookTranslator {

    public static final URI SOURCE = URI.create("/cib/git-hook-bridge");

    private static final Pattern SHA = Pattern.compile("^[0-9a-f]{40}$");
    private static final Pattern DELIVERY = Pattern.compile("^[0-9A-Za-z-]{1,100}$");
    private static final int MAX_ECHO = 80;

    private final Settings settings;
    private final ChangedPaths changedPaths;
    private final EventCodec codec;
    private final Clock clock;
    private final ObjectMapper mapper = new ObjectMapper();

    public HookTranslator(Settings settings, ChangedPaths changedPaths, EventCodec codec, Clock clock) {
        this.settings = settings;
        this.changedPaths = changedPaths;
        this.codec = codec;
        this.clock = clock;
    }

    /** The bridge's policy, from configuration. */
    public record Settings(Set<String> pullRequestActions, String pullRequestKubevirtVersion,
            ReleaseTags releaseTags, PathRules pathRules) {
    }

    /** One event ready for the broker (topic = type, key = build ID, CloudEvents binary headers). */
    public record Outgoing(String id, String type, String buildId, Map<String, String> headers, String value) {
        public String topic() {
            return type;
        }
    }

    /** The answer to a delivery; each maps to one HTTP status in the resource. */
    public sealed interface Decision {
    }

    /** 200 once every event is on the broker. */
    public record Publish(List<Outgoing> events) implements Decision {
    }

    /** 200, nothing published. */
    public record Pong() implements Decision {
    }

    /** 202: understood, nothing for the pipeline. */
    public record Ignore(String reason) implements Decision {
    }

    /** 400: not a delivery we can read. */
    public record Refuse(String reason) implements Decision {
    }

    /** 422: a delivery we should act on, but its event would break the schema. */
    public record Unprocessable(String reason) implements Decision {
    }

    /** 503: a peer (the changed-paths source) is away; GitHub shows a failed delivery that can be redelivered. */
    public record Unavailable(String reason) implements Decision {
    }

    public Decision translate(String eventName, String deliveryId, byte[] body, Duration lookupTimeout) {
        if (eventName == null || eventName.isBlank()) {
            return new Refuse("header X-GitHub-Event is missing");
        }
        if (deliveryId == null || !DELIVERY.matcher(deliveryId).matches()) {
            return new Refuse("header X-GitHub-Delivery is missing or not a delivery id");
        }
        JsonNode payload;
        try {
            payload = mapper.readTree(body);
        } catch (JsonProcessingException e) {
            return new Refuse("body is not JSON (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")");
        } catch (IOException e) {
            return new Refuse("body is not JSON");
        }
        if (payload == null || !payload.isObject()) {
            return new Refuse("body is not a JSON object");
        }
        return switch (eventName) {
            case "ping" -> new Pong();
            case "pull_request" -> pullRequest(deliveryId, payload, lookupTimeout);
            case "push" -> push(deliveryId, payload);
            default -> new Ignore("event " + echo(eventName) + " is not one the pipeline acts on");
        };
    }

    private Decision pullRequest(String deliveryId, JsonNode payload, Duration lookupTimeout) {
        String action = payload.path("action").asText("");
        if (!settings.pullRequestActions().contains(action)) {
            return new Ignore("pull_request action " + echo(action) + " starts no build");
        }
        int number = payload.path("number").asInt(0);
        String sha = payload.path("pull_request").path("head").path("sha").asText("");
        String repository = payload.path("repository").path("full_name").asText("");
        if (number <= 0 || !SHA.matcher(sha).matches() || repository.isEmpty()) {
            return new Refuse("pull_request payload lacks number, pull_request.head.sha or repository.full_name");
        }
        List<String> paths;
        try {
            paths = changedPaths.of(repository, number, sha, lookupTimeout);
        } catch (ChangedPaths.Unavailable e) {
            return new Unavailable("changed paths of the pull request are unavailable: " + e.getMessage());
        }
        Set<Cloud> clouds = settings.pathRules().cloudsFor(paths);
        if (clouds.isEmpty()) {
            return new Ignore("none of the " + paths.size() + " changed path(s) concerns a cloud image");
        }
        String login = payload.path("sender").path("login").asText("");
        List<Outgoing> events = new ArrayList<>();
        for (Cloud cloud : clouds) {
            var data = new BuildRequested(EventType.CURRENT_VERSION, BuildIds.pullRequest(number, sha, cloud), cloud,
                    settings.pullRequestKubevirtVersion(), null, null, null, sha,
                    login.isEmpty() ? "github" : "github:" + echo(login), null, null);
            Optional<Outgoing> out = encode(deliveryId, "build.requested/" + cloud.wireName(), data);
            if (out.isEmpty()) {
                return new Unprocessable("build.requested for pull request " + number + " breaks its schema");
            }
            events.add(out.get());
        }
        return new Publish(events);
    }

    private Decision push(String deliveryId, JsonNode payload) {
        String ref = payload.path("ref").asText("");
        if (!ref.startsWith("refs/tags/")) {
            return new Ignore("push to a branch starts no release");
        }
        String tag = ref.substring("refs/tags/".length());
        if (payload.path("deleted").asBoolean(false)) {
            return new Ignore("tag " + echo(tag) + " was deleted");
        }
        Optional<ReleaseTags.ReleaseTag> release = settings.releaseTags().parse(tag);
        if (release.isEmpty()) {
            return new Ignore("tag " + echo(tag) + " does not match the release tag pattern");
        }
        // An annotated tag's "after" is the tag object; head_commit.id is the commit it points to.
        String commit = payload.path("head_commit").path("id").asText(payload.path("after").asText(""));
        if (!SHA.matcher(commit).matches()) {
            return new Refuse("push payload lacks the tagged commit (head_commit.id or after)");
        }
        var data = new ReleaseTagged(EventType.CURRENT_VERSION, BuildIds.release(tag), tag,
                release.get().kubevirtVersion(), null, commit, null, null);
        return encode(deliveryId, "release.tagged", data)
                .<Decision>map(e -> new Publish(List.of(e)))
                .orElseGet(() -> new Unprocessable("tag " + echo(tag)
                        + " matches the bridge's release pattern but release.tagged v1 refuses it"));
    }

    private Optional<Outgoing> encode(String deliveryId, String outputName, PipelineEvent data) {
        Envelope<PipelineEvent> envelope = Envelope.withId(EventIds.derived(deliveryId, outputName), data, SOURCE,
                clock);
        String value;
        try {
            value = codec.encodeData(data);
        } catch (IllegalStateException schemaRefused) {
            return Optional.empty();
        }
        return Optional.of(new Outgoing(envelope.id(), envelope.type().typeName(), envelope.key(),
                codec.encodeHeaders(envelope), value));
    }

    private static String echo(String value) {
        String printable = value.replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() <= MAX_ECHO ? printable : printable.substring(0, MAX_ECHO) + "...";
    }
}
