package io.kubevirt.cib.aws;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.auth.credentials.SystemPropertyCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.AdaptiveRetryStrategy;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.Ec2ClientBuilder;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * One {@link Ec2Client} per region, built on first use and cached: EC2 is a regional API, and the pipeline touches a
 * handful of regions over and over. All clients share one HTTP client and the credentials provider; each has its own
 * retry strategy, because the adaptive rate limiter should only slow down the region that throttles.
 */
public final class Ec2Clients implements AutoCloseable {

    /** Credentials for emulators, which accept any key. Never used against real AWS (no endpoint override). */
    static final AwsBasicCredentials EMULATOR_CREDENTIALS = AwsBasicCredentials.create("test", "test");

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(60);
    /** Bounds one call including the SDK's retries, so a hung region cannot stall a worker indefinitely. */
    private static final Duration API_CALL_TIMEOUT = Duration.ofMinutes(3);

    private final Function<String, Ec2Client> factory;
    private final Map<String, Ec2Client> clients = new ConcurrentHashMap<>();
    private final AutoCloseable resources;
    private volatile boolean closed;

    /**
     * How the SDK retries one EC2 call before the caller sees the failure: {@code maxAttempts} in all (the first
     * included), with exponential backoff and full jitter from {@code baseDelay} (from {@code throttlingBaseDelay}
     * after a throttling error), each wait capped at {@code maxBackoff}.
     */
    public record Retry(int maxAttempts, Duration baseDelay, Duration throttlingBaseDelay, Duration maxBackoff) {

        /**
         * EC2 throttles per account and region, so a burst of builds and verifications can meet RequestLimitExceeded
         * for a while: ten attempts with waits up to 20 s ride out a throttled minute, well within
         * {@link #API_CALL_TIMEOUT}. The SDK's own default (3 attempts) gives up after about a second of throttling.
         */
        public static final Retry DEFAULT =
                new Retry(10, Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(20));

        public Retry {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
            }
            for (Duration d : new Duration[] {baseDelay, throttlingBaseDelay, maxBackoff}) {
                if (d == null || d.isNegative() || d.isZero()) {
                    throw new IllegalArgumentException("retry delays must be positive, got " + d);
                }
            }
        }

        /** Adaptive: AWS's retry conditions, plus client-side rate limiting once EC2 throttles. */
        AdaptiveRetryStrategy strategy() {
            return AwsRetryStrategy.adaptiveRetryStrategy().toBuilder()
                    .maxAttempts(maxAttempts)
                    .backoffStrategy(BackoffStrategy.exponentialDelay(baseDelay, maxBackoff))
                    .throttlingBackoffStrategy(BackoffStrategy.exponentialDelay(throttlingBaseDelay, maxBackoff))
                    .build();
        }
    }

    /**
     * Clients for real AWS, or for an emulator when {@code endpointOverride} is set. Credentials come from the SDK's
     * default chain; with an override, from environment, system properties or the profile file, else dummy ones.
     */
    public static Ec2Clients create(Optional<URI> endpointOverride) {
        return create(endpointOverride, Retry.DEFAULT);
    }

    /** As {@link #create(Optional)}, with the retries sized by the caller (config {@code cib.aws.retry.*}). */
    public static Ec2Clients create(Optional<URI> endpointOverride, Retry retry) {
        return new Ec2Clients(endpointOverride, defaultCredentials(endpointOverride.isPresent()), retry);
    }

    /** Clients with explicit credentials (tests, or callers that assume a role themselves). */
    public Ec2Clients(Optional<URI> endpointOverride, AwsCredentialsProvider credentials) {
        this(endpointOverride, credentials, Retry.DEFAULT);
    }

    /** Clients with explicit credentials and retries. */
    public Ec2Clients(Optional<URI> endpointOverride, AwsCredentialsProvider credentials, Retry retry) {
        Objects.requireNonNull(endpointOverride, "endpointOverride");
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(retry, "retry");
        SdkHttpClient http = UrlConnectionHttpClient.builder()
                .connectionTimeout(CONNECT_TIMEOUT)
                .socketTimeout(SOCKET_TIMEOUT)
                .build();
        this.factory = region -> {
            Ec2ClientBuilder builder = Ec2Client.builder()
                    .region(Region.of(region))
                    .credentialsProvider(credentials)
                    .httpClient(http)
                    .overrideConfiguration(o -> o
                            // A fresh strategy per client: its rate limiter and retry token bucket are per region,
                            // like EC2's limits (RequestLimitExceeded is per account and region).
                            .retryStrategy(retry.strategy())
                            .apiCallTimeout(API_CALL_TIMEOUT));
            endpointOverride.ifPresent(builder::endpointOverride);
            return builder.build();
        };
        this.resources = () -> {
            http.close();
            if (credentials instanceof SdkAutoCloseable closeable) {
                closeable.close();
            }
        };
    }

    /** For tests that need a hand-made {@link Ec2Client} (e.g. to provoke errors moto cannot produce). */
    Ec2Clients(Function<String, Ec2Client> factory) {
        this.factory = Objects.requireNonNull(factory, "factory");
        this.resources = () -> { };
    }

    /** The client for {@code region}, e.g. {@code us-east-1}. */
    public Ec2Client forRegion(String region) {
        if (region == null || region.isBlank()) {
            throw new IllegalArgumentException("region must not be blank");
        }
        if (closed) {
            throw new IllegalStateException("Ec2Clients is closed");
        }
        return clients.computeIfAbsent(region, factory);
    }

    @Override
    public void close() {
        closed = true;
        clients.values().forEach(Ec2Client::close);
        clients.clear();
        try {
            resources.close();
        } catch (Exception e) {
            // Closing an HTTP client or credentials cache at shutdown: nothing useful to do about a failure.
        }
    }

    private static AwsCredentialsProvider defaultCredentials(boolean emulator) {
        if (!emulator) {
            return DefaultCredentialsProvider.builder().build();
        }
        // Not the full default chain: its instance-metadata step would probe 169.254.169.254 (seconds of timeouts
        // on a laptop or CI) for credentials that an emulator does not check anyway.
        return AwsCredentialsProviderChain.builder()
                .credentialsProviders(
                        SystemPropertyCredentialsProvider.create(),
                        EnvironmentVariableCredentialsProvider.create(),
                        ProfileCredentialsProvider.create(),
                        StaticCredentialsProvider.create(EMULATOR_CREDENTIALS))
                .build();
    }
}
