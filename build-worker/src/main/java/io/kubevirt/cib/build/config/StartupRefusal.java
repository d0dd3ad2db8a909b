package io.kubevirt.cib.build.config;

import com.google.auth.oauth2.GoogleCredentials;
import io.kubevirt.cib.aws.AwsConfig;
import io.kubevirt.cib.common.messaging.MessagingSettings;
import io.kubevirt.cib.common.redact.Redactor;
import io.kubevirt.cib.gcp.GcpConfig;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Fails the boot (an exception from a StartupEvent observer stops Quarkus) when {@link StartupCheck} finds
 * configuration this worker cannot work with: the pod then crash-loops with the reason in its log, instead of taking
 * requests it can only fail.
 */
@ApplicationScoped
public class StartupRefusal {

    private static final Logger LOG = Logger.getLogger(StartupRefusal.class);
    private static final int MAX_REASON = 400;

    void check(@Observes @Priority(1) StartupEvent event, BuildWorkerConfig config, AwsConfig aws, GcpConfig gcp,
            MessagingSettings messaging) {
        StartupCheck check = new StartupCheck(config.clouds(), config.packer().templateDir(), config.packer().binary(),
                StartupCheck.pathOf(System.getenv("PATH")), gcp.project(),
                () -> aws.endpointOverride().isPresent() ? Optional.empty() : awsCredentialProblem(),
                () -> gcp.endpointOverride().isPresent() ? Optional.empty() : gcpCredentialProblem(),
                config.packer().interruptGrace(), messaging.revokeGrace());
        List<String> problems = check.problems();
        if (!problems.isEmpty()) {
            String message = "build-worker refuses to start; fix the configuration:\n  - "
                    + String.join("\n  - ", problems);
            LOG.error(message);
            throw new IllegalStateException(message);
        }
    }

    /** The SDK's own chain, as the EC2 clients and Packer use it. */
    private static Optional<String> awsCredentialProblem() {
        try (DefaultCredentialsProvider provider = DefaultCredentialsProvider.builder().build()) {
            provider.resolveCredentials();
            return Optional.empty();
        } catch (SdkException e) {
            return Optional.of(shorten(e.getMessage()));
        }
    }

    private static Optional<String> gcpCredentialProblem() {
        try {
            GoogleCredentials.getApplicationDefault();
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of(shorten(e.getMessage()));
        }
    }

    private static String shorten(String reason) {
        String safe = Redactor.redact(String.valueOf(reason));
        return safe.length() <= MAX_REASON ? safe : safe.substring(0, MAX_REASON) + "...";
    }
}
