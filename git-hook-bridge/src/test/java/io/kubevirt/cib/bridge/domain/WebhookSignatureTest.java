package io.kubevirt.cib.bridge.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class WebhookSignatureTest {

    private final byte[] body = "{\"zen\":\"Keep it logically awesome.\"}".getBytes(StandardCharsets.UTF_8);

    @Test
    void githubsDocumentedExample() {
        // docs.github.com "Validating webhook deliveries": secret "It's a Secret to Everybody", body "Hello, World!".
        assertThat(WebhookSignature.sign("It's a Secret to Everybody", "Hello, World!".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
    }

    @Test
    void acceptsEitherActiveSecret() {
        var check = new WebhookSignature(List.of("new-secret", "old-secret"));
        assertThat(check.verify(body, WebhookSignature.sign("new-secret", body))).isTrue();
        assertThat(check.verify(body, WebhookSignature.sign("old-secret", body))).isTrue();
        assertThat(check.verify(body, WebhookSignature.sign("old-secret", body).toUpperCase().replace("SHA256", "sha256")))
                .isTrue();
    }

    @Test
    void refusesRetiredWrongMissingAndMalformed() {
        var check = new WebhookSignature(List.of("new-secret"));
        assertThat(check.verify(body, WebhookSignature.sign("retired-secret", body))).isFalse();
        assertThat(check.verify(body, null)).isFalse();
        assertThat(check.verify(body, "sha1=abc")).isFalse();
        assertThat(check.verify(body, "sha256=zz")).isFalse();
        assertThat(check.verify("{}".getBytes(StandardCharsets.UTF_8), WebhookSignature.sign("new-secret", body)))
                .isFalse();
    }

    @Test
    void withoutSecretsNothingPasses() {
        var check = new WebhookSignature(List.of(" ", ""));
        assertThat(check.hasSecrets()).isFalse();
        assertThat(check.verify(body, WebhookSignature.sign("x", body))).isFalse();
        assertThat(check.toString()).doesNotContain("secret-");
    }
}
