package io.kubevirt.cib.gcp;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * GCP settings of a worker, under {@code cib.gcp.*}. All optional: a worker without them starts, and only its first
 * GCP call fails. Credentials come from Application Default Credentials ({@code GOOGLE_APPLICATION_CREDENTIALS},
 * workload identity, the metadata server), so they are not here.
 */
@ConfigMapping(prefix = "cib.gcp")
public interface GcpConfig {

    /** {@code cib.gcp.project} (env {@code CIB_GCP_PROJECT}): the project images and instances live in. */
    Optional<String> project();

    /**
     * {@code cib.gcp.endpoint-override} (env {@code CIB_GCP_ENDPOINT_OVERRIDE}): send every Compute call here instead
     * of {@code compute.googleapis.com}. {@code http://127.0.0.1:PORT} for the local Compute fake in tests (no
     * credentials are used then); an {@code https://} URL (e.g. Private Service Connect) keeps the credentials.
     * Needs the scheme: without it the client assumes https.
     */
    Optional<URI> endpointOverride();

    /**
     * {@code cib.gcp.operation-timeout}: how long one operation (instance insert/delete, image delete/setLabels) is
     * polled before the call gives up with a retryable error. The operation itself carries on in GCE.
     */
    @WithDefault("10m")
    Duration operationTimeout();

    /** {@code cib.gcp.call-timeout}: one API call including the client's retries of 429/503/timeouts. */
    @WithDefault("2m")
    Duration callTimeout();

    /**
     * {@code cib.gcp.external-ip}: give launched instances an ephemeral external IP (needed to SSH from outside the
     * VPC). Turn off where an organisation policy forbids external IPs and the workers run inside the VPC.
     */
    @WithDefault("true")
    boolean externalIp();

    /**
     * {@code cib.gcp.cloud-build-endpoint-override} (env {@code CIB_GCP_CLOUD_BUILD_ENDPOINT_OVERRIDE}): send Cloud
     * Build calls (image export) here instead of {@code cloudbuild.googleapis.com}; {@code http://127.0.0.1:PORT} for
     * the local fake (no credentials then). Same rules as {@link #endpointOverride()}.
     */
    Optional<URI> cloudBuildEndpointOverride();

    /**
     * {@code cib.gcp.export.*}: exporting published images to Cloud Storage through Cloud Build, as gcloud does. As
     * for gcloud, the project's Cloud Build service account needs Compute Admin, Service Account User and Service
     * Account Token Creator, and write access to the bucket; the worker's identity needs Cloud Build Editor.
     */
    Export export();

    interface Export {

        /** {@code cib.gcp.export.bucket} (env {@code CIB_GCP_EXPORT_BUCKET}): exports go to gs://BUCKET/NAME.tar.gz. */
        Optional<String> bucket();

        /** {@code cib.gcp.export.zone}: where the export's temporary worker VM runs. */
        @WithDefault("us-central1-a")
        String zone();

        /** {@code cib.gcp.export.budget}: how long one export may take (build timeout and wait), e.g. {@code 3h}. */
        @WithDefault("3h")
        Duration budget();

        /** {@code cib.gcp.export.poll-initial}: first poll of a running export; polls back off by 1.5. */
        @WithDefault("10s")
        Duration pollInitial();

        /** {@code cib.gcp.export.poll-max}: longest pause between two polls of a running export. */
        @WithDefault("2m")
        Duration pollMax();
    }
}
