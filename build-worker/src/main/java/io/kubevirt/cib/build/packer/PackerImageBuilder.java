package io.kubevirt.cib.build.packer;

import io.kubevirt.cib.build.config.BuildWorkerConfig;
import io.kubevirt.cib.build.domain.BuildPlan;
import io.kubevirt.cib.build.domain.FailureClassifier;
import io.kubevirt.cib.build.domain.ImageBuilder;
import io.kubevirt.cib.build.domain.packer.PackerLine;
import io.kubevirt.cib.build.domain.packer.PackerRun;
import io.kubevirt.cib.build.domain.packer.PackerUiMessage;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.redact.Redactor;
import io.kubevirt.cib.events.Cloud;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * {@link ImageBuilder} that runs {@code packer build -machine-readable} with the project's templates, streams
 * Packer's progress into the log (build ID on every line, secrets redacted) and reads the artifact from its output.
 * Each run belongs to one {@link Attempt}: cancelling the attempt stops that Packer (the worker's shutdown cancels
 * every attempt, through pipeline-common's PhaseClaims, and waits for them to end).
 */
@ApplicationScoped
public class PackerImageBuilder implements ImageBuilder {

    private static final Logger LOG = Logger.getLogger(PackerImageBuilder.class);

    private final BuildWorkerConfig.Packer config;
    private final Optional<URI> ec2Endpoint;
    private final String templateDigest;

    @Inject
    public PackerImageBuilder(BuildWorkerConfig config,
            @ConfigProperty(name = "cib.aws.endpoint-override") Optional<URI> ec2Endpoint) {
        this.config = config.packer();
        this.ec2Endpoint = ec2Endpoint;
        this.templateDigest = TemplateDigest.of(this.config.templateDir());
    }

    @Override
    public String templateDigest() {
        return templateDigest;
    }

    @Override
    public Result build(BuildPlan plan, Attempt attempt) {
        if (attempt.cancelled()) {
            return new Interrupted();
        }
        PackerRun run = new PackerRun();
        PackerProcess process;
        try {
            Files.createDirectories(workDir());
            process = PackerProcess.start(command(plan), workDir(), environment(), config.interruptGrace());
        } catch (IOException e) {
            return new Failed("could not start packer: " + e.getMessage(), false);
        }
        LOG.infof("build %s: packer %d started (%s, image %s)", plan.buildId(), process.pid(), source(plan),
                plan.imageName());
        // Cancelled (worker stopping, partition revoked): SIGTERM now, so Packer removes what it made; SIGKILL after
        // the grace. Runs at once if the attempt was cancelled while Packer started.
        try (Attempt.Registration ignored = attempt.onCancel(() -> {
            LOG.infof("build %s: attempt cancelled (%s); interrupting packer %d", plan.buildId(),
                    attempt.cancelReason(), process.pid());
            process.interrupt();
        })) {
            PackerProcess.Exit exit = process.awaitExit(plan.deadline(), line -> {
                Optional<PackerLine> parsed = PackerLine.parse(line);
                parsed.ifPresent(run::accept);
                // Machine-readable lines are logged by their human text (ui say/message/error); others as they are.
                Optional<String> text = parsed.isPresent() ? humanText(parsed.get()) : Optional.of(line);
                text.ifPresent(t -> LOG.infof("build %s: packer: %s", plan.buildId(), Redactor.redact(t)));
            });
            return result(plan, run, exit);
        } catch (IOException e) {
            process.interrupt();
            return new Failed("lost contact with packer: " + e.getMessage(), true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.interrupt();
            return new Interrupted();
        }
    }

    private Result result(BuildPlan plan, PackerRun run, PackerProcess.Exit exit) {
        LOG.infof("build %s: packer ended (%s, exit code %d)", plan.buildId(), exit.ending(), exit.exitCode());
        switch (exit.ending()) {
            case INTERRUPTED:
                return new Interrupted();
            case TIMED_OUT:
                return new TimedOut(Redactor.redact(lastMessage(run)));
            default:
                break;
        }
        if (exit.exitCode() == 0 && !run.builtImages().isEmpty()) {
            return new Built(run.builtImages().stream()
                    .map(i -> new BuiltImage(i.location(), i.imageId()))
                    .toList());
        }
        FailureClassifier.Verdict verdict = FailureClassifier.classify(
                Redactor.redact(run.failureReason().orElse(lastMessage(run))));
        return new Failed("packer exited with " + exit.exitCode() + ": " + verdict.reason(), verdict.retryable());
    }

    List<String> command(BuildPlan plan) {
        List<String> command = new ArrayList<>(List.of(config.binary(), "build", "-machine-readable",
                "-only=" + source(plan)));
        variables(plan).forEach((name, value) -> {
            command.add("-var");
            command.add(name + "=" + value);
        });
        command.add(config.templateDir().toAbsolutePath().toString());
        return command;
    }

    Map<String, String> variables(BuildPlan plan) {
        Map<String, String> vars = new LinkedHashMap<>(config.vars());
        vars.put("build_id", plan.buildId());
        vars.put("request_id", plan.requestTags().get(ResourceTags.REQUEST_ID));
        vars.put("image_name", plan.imageName());
        vars.put("kubevirt_version", plan.kubevirtVersion());
        vars.put("cdi_version", plan.cdiVersion());
        vars.put("kubernetes_version", plan.kubernetesVersion());
        vars.put("expires_at", plan.resourceTags().get(ResourceTags.EXPIRES_AT));
        if (plan.cloud() == Cloud.AWS) {
            vars.put("aws_region", plan.location());
            ec2Endpoint.ifPresent(endpoint -> vars.put("ec2_endpoint", endpoint.toString()));
        } else {
            vars.put("gcp_zone", plan.location());
            plan.project().ifPresent(project -> vars.put("gcp_project_id", project));
        }
        return vars;
    }

    private Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CHECKPOINT_DISABLE", "1");
        env.put("TMPDIR", workDir().toString());
        env.put("PACKER_CACHE_DIR", workDir().resolve("cache").toString());
        if (ec2Endpoint.isPresent()) {
            env.put("AWS_EC2_METADATA_DISABLED", "true");
        }
        env.putAll(config.env());
        return env;
    }

    private Path workDir() {
        return config.workDir().toAbsolutePath();
    }

    private String source(BuildPlan plan) {
        return plan.cloud() == Cloud.AWS ? config.awsSource() : config.gcpSource();
    }

    private static String lastMessage(PackerRun run) {
        List<PackerUiMessage> messages = run.uiMessages();
        return messages.isEmpty() ? "(no output)" : messages.get(messages.size() - 1).text();
    }

    private static Optional<String> humanText(PackerLine line) {
        return line.type().equals("ui") && line.data().size() >= 2 ? Optional.of(line.data().get(1)) : Optional.empty();
    }
}
