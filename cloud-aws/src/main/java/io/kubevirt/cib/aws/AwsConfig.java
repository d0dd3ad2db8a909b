package io.kubevirt.cib.aws;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * AWS settings of a worker, under {@code cib.aws.*}. Region comes with each call (it is part of the request), and
 * credentials from the SDK's default chain (environment, profile, container or instance role), so neither is here.
 */
@ConfigMapping(prefix = "cib.aws")
public interface AwsConfig {

    /**
     * {@code cib.aws.endpoint-override} (env {@code CIB_AWS_ENDPOINT_OVERRIDE}): send every EC2 call to this URL
     * instead of AWS, e.g. {@code http://127.0.0.1:5000}. For moto_server or LocalStack in tests and local runs
     * only; when set and no credentials are configured, dummy credentials are used. Leave unset in production.
     */
    Optional<URI> endpointOverride();

    /** {@code cib.aws.copy-poll-interval}: how often the image-available waiter asks about a copy in progress. */
    @WithDefault("15s")
    Duration copyPollInterval();

    /** {@code cib.aws.retry.*}: how often and how patiently the SDK retries a throttled or failed EC2 call. */
    RetryConfig retry();

    /** Defaults are {@link Ec2Clients.Retry#DEFAULT}; the values are checked when the clients are built. */
    interface RetryConfig {

        /** {@code max-attempts}: attempts per EC2 call, the first included. */
        @WithDefault("10")
        int maxAttempts();

        /** {@code base-delay}: first backoff after a non-throttling retryable error (5xx, timeouts). */
        @WithDefault("100ms")
        Duration baseDelay();

        /** {@code throttling-base-delay}: first backoff after RequestLimitExceeded and other throttling errors. */
        @WithDefault("1s")
        Duration throttlingBaseDelay();

        /** {@code max-backoff}: cap of any single wait between attempts. */
        @WithDefault("20s")
        Duration maxBackoff();

        default Ec2Clients.Retry toRetry() {
            return new Ec2Clients.Retry(maxAttempts(), baseDelay(), throttlingBaseDelay(), maxBackoff());
        }
    }
}
