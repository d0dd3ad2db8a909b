package io.kubevirt.cib.bridge;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubevirt.cib.bridge.domain.HookTranslator;
import io.kubevirt.cib.bridge.domain.HookTranslator.Decision;
import io.kubevirt.cib.bridge.domain.WebhookSignature;
import io.kubevirt.cib.bridge.kafka.EventPublisher;
import jakarta.inject.Inject;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import org.jboss.logging.Logger;

/**
 * {@code POST /hooks/github}. Order matters: size first (nothing large is hashed), then the signature (an
 * unauthenticated caller learns nothing else), then content type and JSON, then the translation, and 2xx only after
 * the broker took the events.
 */
@Path("/hooks/github")
public class GithubHookResource {

    private static final Logger LOG = Logger.getLogger(GithubHookResource.class);
    /** Left for the publish even when the changed-paths lookup is slow. */
    private static final Duration PUBLISH_RESERVE = Duration.ofMillis(300);

    @Inject
    BridgeConfig config;
    @Inject
    WebhookSignature signature;
    @Inject
    HookTranslator translator;
    @Inject
    EventPublisher publisher;

    private final ObjectMapper json = new ObjectMapper();

    @POST
    public Response receive(@HeaderParam("X-GitHub-Event") String event,
            @HeaderParam("X-GitHub-Delivery") String delivery,
            @HeaderParam("X-Hub-Signature-256") String signatureHeader,
            @HeaderParam("Content-Type") String contentType,
            InputStream body) throws IOException {
        Instant deadline = Instant.now().plus(config.answerWithin());
        byte[] bytes = body == null ? new byte[0] : body.readNBytes(config.maxBodyBytes() + 1);
        if (bytes.length > config.maxBodyBytes()) {
            return answer(400, delivery, "refused", "body is larger than " + config.maxBodyBytes() + " bytes");
        }
        if (!signature.verify(bytes, signatureHeader)) {
            return answer(401, delivery, "unauthenticated",
                    signatureHeader == null ? "X-Hub-Signature-256 is missing" : "signature does not match");
        }
        if (!isJson(contentType)) {
            return answer(400, delivery, "refused", "content type must be application/json (set it in the webhook)");
        }
        Duration lookup = Duration.between(Instant.now(), deadline.minus(PUBLISH_RESERVE));
        Decision decision = translator.translate(event, delivery, bytes,
                lookup.isNegative() ? Duration.ZERO : lookup);
        // Java 17: no pattern matching for switch yet.
        if (decision instanceof HookTranslator.Publish p) {
            return publish(p, delivery, event, deadline);
        } else if (decision instanceof HookTranslator.Pong) {
            return answer(200, delivery, "pong", "ping answered");
        } else if (decision instanceof HookTranslator.Ignore i) {
            return answer(202, delivery, "ignored", i.reason());
        } else if (decision instanceof HookTranslator.Refuse r) {
            return answer(400, delivery, "refused", r.reason());
        } else if (decision instanceof HookTranslator.Unprocessable u) {
            return answer(422, delivery, "unprocessable", u.reason());
        } else {
            return answer(503, delivery, "unavailable", ((HookTranslator.Unavailable) decision).reason());
        }
    }

    private static boolean isJson(String contentType) {
        try {
            return contentType != null && MediaType.APPLICATION_JSON_TYPE.isCompatible(MediaType.valueOf(contentType));
        } catch (IllegalArgumentException unparsable) {
            return false;
        }
    }

    private Response publish(HookTranslator.Publish publish, String delivery, String event, Instant deadline) {
        try {
            publisher.publish(publish.events(), deadline);
        } catch (EventPublisher.NotPublished e) {
            return answer(503, delivery, "unavailable", "event not published: " + e.getMessage()
                    + "; redeliver from GitHub");
        }
        ObjectNode body = body(delivery, "published", publish.events().size() + " event(s) published");
        var list = body.putArray("events");
        for (HookTranslator.Outgoing out : publish.events()) {
            list.addObject().put("type", out.type()).put("id", out.id()).put("buildId", out.buildId());
            LOG.infof("delivery %s (%s): published %s %s for %s", delivery, event, out.type(), out.id(),
                    out.buildId());
        }
        return Response.ok(body.toString(), MediaType.APPLICATION_JSON).build();
    }

    private Response answer(int status, String delivery, String outcome, String reason) {
        LOG.infof("delivery %s: %d %s: %s", safe(delivery), status, outcome, reason);
        return Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(body(delivery, outcome, reason).toString()).build();
    }

    private ObjectNode body(String delivery, String outcome, String reason) {
        ObjectNode node = json.createObjectNode();
        node.put("delivery", safe(delivery));
        node.put("outcome", outcome);
        node.put("reason", reason);
        return node;
    }

    private static String safe(String delivery) {
        return delivery == null ? "(none)" : delivery.replaceAll("[^0-9A-Za-z-]", "?");
    }
}
