package io.kubevirt.cib.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code cib}: the operator's command line for the pipeline's event stream. */
@Command(name = "cib", mixinStandardHelpOptions = true, version = "cib 0.1.0",
        description = "Talk to the cloud-image-builder pipeline through its Kafka events.",
        subcommands = {RequestBuild.class, TagRelease.class, Replay.class, Watch.class, Status.class, Dlq.class,
                Sweep.class},
        footer = {"", "Exit codes: 0 ok, 1 not found or a failed outcome, 2 usage, 3 broker unreachable."})
public class Cib implements Runnable {

    public static final int OK = 0;
    public static final int NOT_FOUND_OR_FAILED = 1;
    public static final int USAGE = 2;
    public static final int UNREACHABLE = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command");
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Cib());
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("cib: " + e.getMessage());
            commandLine.getErr().flush();
            if (e instanceof EventStream.BrokerUnreachable) {
                return UNREACHABLE;
            }
            return e instanceof CibCommand.UsageProblem ? USAGE : NOT_FOUND_OR_FAILED;
        });
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
