package io.kubevirt.cib.cli;

import io.kubevirt.cib.events.BuildRequested;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.EventType;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "request-build", description = "Ask for one image on one cloud: publishes build.requested.")
class RequestBuild extends CibCommand {

    @Option(names = "--cloud", required = true, description = "aws or gcp")
    String cloud;

    @Option(names = "--kubevirt-version", required = true, paramLabel = "vX.Y.Z")
    String kubevirtVersion;

    @Option(names = "--build-id", description = "DNS-label shaped; default op-<UTC timestamp>-<cloud>")
    String buildId;

    @Option(names = "--region", description = "AWS region or GCP zone; default: the build-worker's")
    String region;

    @Option(names = "--kubernetes-version", paramLabel = "v1.N[.P]")
    String kubernetesVersion;

    @Option(names = "--cdi-version", paramLabel = "vX.Y.Z")
    String cdiVersion;

    @Option(names = "--git-ref")
    String gitRef;

    @Option(names = "--requested-by", defaultValue = "operator:${env:USER:-unknown}")
    String requestedBy;

    @Override
    public Integer call() {
        Cloud target;
        try {
            target = Cloud.fromWireName(cloud);
        } catch (IllegalArgumentException e) {
            throw new UsageProblem("--cloud must be aws or gcp");
        }
        String id = buildId != null ? buildId : "op-" + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
                .format(ZonedDateTime.now(ZoneOffset.UTC)) + "-" + target.wireName();
        publish(new BuildRequested(EventType.CURRENT_VERSION, id, target, kubevirtVersion, cdiVersion,
                kubernetesVersion, region, gitRef, requestedBy, null, null), "published");
        return Cib.OK;
    }
}
