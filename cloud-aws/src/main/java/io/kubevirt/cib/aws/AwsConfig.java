package io.kubevirt.cib.aws;

import io.smallrye.config.ConfigMapping;
import java.net.URI;
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
}
