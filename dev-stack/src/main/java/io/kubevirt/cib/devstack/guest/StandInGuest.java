package io.kubevirt.cib.devstack.guest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;

/**
 * Plays a booted cib image, in-process, for the test-worker's tests and the local run (moto boots no guest): Apache
 * MINA SSHD on 127.0.0.1 whose exec requests run through {@code /bin/sh -c} against the stand-in cluster
 * ({@code standin-cluster/bin}: kubectl, virtctl, sudo) with its state in a temporary folder, so the real
 * verification script runs against a simulated single-node cluster. Only the authorized public keys may log in; the
 * host key comes from MINA's own generator. {@link CloudInit} has what the cloud side of a boot reports.
 */
public final class StandInGuest implements AutoCloseable {

    public static final String HOST = "127.0.0.1";
    public static final String USER = "cib";
    /** What the stand-in cluster plays (standin-cluster/bin/kubectl); vm-never-running, guest-silent, kubevirt-not-available fail. */
    public static final List<String> SCENARIOS = List.of("pass", "vm-never-running", "no-default-storage-class",
            "guest-silent", "no-console-log", "kubevirt-not-available");
    private static final List<String> STANDIN_TOOLS = List.of("kubectl", "virtctl", "sudo");

    private final Builder settings;
    private final int port;
    private final Path root;
    private final Path binDir;
    private final Path stateDir;
    private final KeyPair presentedHostKey;
    private final List<KeyPair> extraHostKeys;
    private final String reportedHostKeyLine;
    private final AtomicInteger sessions = new AtomicInteger();
    private final AtomicInteger commands = new AtomicInteger();
    private final long startedNanos = System.nanoTime();
    private final SshServer server;
    private volatile boolean closed;
    private volatile boolean listening;

    public static Builder builder(String authorizedKeyLine) {
        return new Builder(() -> List.of(authorizedKeyLine));
    }

    /**
     * Keys read at login time, the way cloud-init installs them from what the cloud was given at launch (AWS user
     * data, GCP ssh-keys metadata): for tests where the worker makes its key pair itself.
     */
    public static Builder builder(java.util.function.Supplier<List<String>> authorizedKeyLines) {
        return new Builder(authorizedKeyLines);
    }

    /** Options; every one has a sensible default, so {@code builder(key).start()} is a working instance. */
    public static final class Builder {
        private final java.util.function.Supplier<List<String>> authorizedKeyLines;
        private String scenario = "pass";
        private Duration listenAfter = Duration.ZERO;
        private boolean neverListen;
        private Duration authorizeAfter = Duration.ZERO;
        private boolean presentDifferentHostKey;
        private String hostKeyType = KeyPairProvider.ECDSA_SHA2_NISTP256;
        private final List<String> extraHostKeyTypes = new ArrayList<>();

        private Builder(java.util.function.Supplier<List<String>> authorizedKeyLines) {
            this.authorizedKeyLines = Objects.requireNonNull(authorizedKeyLines);
        }

        /** pass, vm-never-running, no-default-storage-class, guest-silent, no-console-log, kubevirt-not-available. */
        public Builder scenario(String name) {
            if (!SCENARIOS.contains(name)) {
                throw new IllegalArgumentException("unknown stand-in scenario " + name + "; one of " + SCENARIOS);
            }
            this.scenario = name;
            return this;
        }

        /** SSH is not up yet: connections are refused until this much time has passed since {@link #start()}. */
        public Builder listenAfter(Duration delay) {
            this.listenAfter = delay;
            return this;
        }

        /** SSH never comes up: every connection is refused. */
        public Builder neverListen() {
            this.neverListen = true;
            return this;
        }

        /** The key is not installed yet (cloud-init still running): logins fail until this much time has passed. */
        public Builder authorizeAfter(Duration delay) {
            this.authorizeAfter = delay;
            return this;
        }

        /** Reports one host key but presents another of the same type: what an impostor looks like. */
        public Builder presentDifferentHostKey() {
            this.presentDifferentHostKey = true;
            return this;
        }

        /** SSH type of the reported (and, normally, presented) host key, e.g. {@code ssh-rsa}; default ECDSA P-256. */
        public Builder hostKeyType(String sshKeyType) {
            this.hostKeyType = sshKeyType;
            return this;
        }

        /** An extra host key the server also holds but the cloud does not report (e.g. a type the client prefers). */
        public Builder alsoHostKey(String sshKeyType) {
            this.extraHostKeyTypes.add(sshKeyType);
            return this;
        }

        public StandInGuest start() throws IOException {
            return new StandInGuest(this);
        }
    }

    private StandInGuest(Builder settings) throws IOException {
        this.settings = settings;
        this.root = Files.createTempDirectory("cib-standin-");
        this.binDir = Files.createDirectories(root.resolve("bin"));
        this.stateDir = Files.createDirectories(root.resolve("state"));
        installTools();
        Files.writeString(stateDir.resolve("scenario"), settings.scenario + "\n");
        try {
            KeyPair reported = hostKey(settings.hostKeyType);
            this.presentedHostKey = settings.presentDifferentHostKey ? hostKey(settings.hostKeyType) : reported;
            this.reportedHostKeyLine = PublicKeyEntry.toString(reported.getPublic());
            this.extraHostKeys = new ArrayList<>();
            for (String extra : settings.extraHostKeyTypes) {
                extraHostKeys.add(hostKey(extra));
            }
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot make the stand-in's keys", e);
        }
        this.port = freePort();
        this.server = buildServer();
        if (!settings.neverListen) {
            if (settings.listenAfter.isZero()) {
                listen();
            } else {
                Thread later = new Thread(() -> {
                    try {
                        Thread.sleep(settings.listenAfter.toMillis());
                        listen();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }, "standin-listen-later");
                later.setDaemon(true);
                later.start();
            }
        }
    }

    private boolean isAuthorized(PublicKey key) {
        for (String line : settings.authorizedKeyLines.get()) {
            try {
                PublicKey allowed = AuthorizedKeyEntry.parseAuthorizedKeyEntry(line)
                        .resolvePublicKey(null, PublicKeyEntryResolver.FAILING);
                if (KeyUtils.compareKeys(allowed, key)) {
                    return true;
                }
            } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
                // an unparseable line authorizes nothing
            }
        }
        return false;
    }

    /** MINA's own generator: it refuses JDK-made Ed25519 host keys. */
    private static KeyPair hostKey(String sshKeyType) throws GeneralSecurityException {
        if (sshKeyType.equals(KeyPairProvider.SSH_RSA)) {
            return KeyUtils.generateKeyPair(sshKeyType, 3072);
        }
        int bits = sshKeyType.equals(KeyPairProvider.ECDSA_SHA2_NISTP384) ? 384
                : sshKeyType.equals(KeyPairProvider.ECDSA_SHA2_NISTP521) ? 521 : 256;
        return KeyUtils.generateKeyPair(sshKeyType, bits);
    }

    private SshServer buildServer() {
        SshServer sshd = SshServer.setUpDefaultServer();
        sshd.setHost(HOST);
        sshd.setPort(port);
        List<KeyPair> hostKeys = new ArrayList<>(extraHostKeys);
        hostKeys.add(presentedHostKey);
        sshd.setKeyPairProvider(KeyPairProvider.wrap(hostKeys));
        // Public key only: no password, keyboard-interactive or GSS logins to fall back on.
        sshd.setUserAuthFactories(List.of(new UserAuthPublicKeyFactory()));
        sshd.setPasswordAuthenticator(null);
        sshd.setKeyboardInteractiveAuthenticator(null);
        sshd.setGSSAuthenticator(null);
        sshd.setPublickeyAuthenticator((user, key, session) -> USER.equals(user)
                && elapsed().compareTo(settings.authorizeAfter) >= 0 && isAuthorized(key));
        sshd.setCommandFactory((channel, command) -> new ProcessCommand(command));
        sshd.addSessionListener(new SessionListener() {
            @Override
            public void sessionCreated(Session session) {
                sessions.incrementAndGet();
            }
        });
        return sshd;
    }

    private synchronized void listen() throws IOException {
        if (!closed) {
            server.start();
            listening = true;
        }
    }

    private Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - startedNanos);
    }

    private void installTools() throws IOException {
        for (String tool : STANDIN_TOOLS) {
            try (InputStream in = StandInGuest.class.getResourceAsStream("/standin-cluster/bin/" + tool)) {
                if (in == null) {
                    throw new IOException("stand-in tool missing from the classpath: " + tool);
                }
                Path target = binDir.resolve(tool);
                Files.copy(in, target);
                // Resources lose the executable bit on their way to target/classes and into jars.
                if (!target.toFile().setExecutable(true)) {
                    throw new IOException("cannot make " + target + " executable");
                }
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        }
    }

    public String host() {
        return HOST;
    }

    public int port() {
        return port;
    }

    public String user() {
        return USER;
    }

    /** What the cloud would report for pinning (console output / guest attributes). */
    public String reportedHostKeyLine() {
        return reportedHostKeyLine;
    }

    /** The key the server really presents (differs from the reported one with {@link Builder#presentDifferentHostKey}). */
    public String presentedHostKeyLine() {
        return PublicKeyEntry.toString(presentedHostKey.getPublic());
    }

    /** "127.0.0.1:PORT", for the test-worker's {@code cib.verify.address-override}. */
    public String address() {
        return HOST + ":" + port;
    }

    public String scenario() {
        return settings.scenario;
    }

    public Path stateDir() {
        return stateDir;
    }

    public Path binDir() {
        return binDir;
    }

    public boolean listening() {
        return listening;
    }

    /** SSH sessions the server saw (each connection attempt that got past TCP accept). */
    public int sessionsSeen() {
        return sessions.get();
    }

    /** Exec requests run. */
    public int commandsRun() {
        return commands.get();
    }

    /** What the stand-in tools were asked, one invocation per line. */
    public List<String> calls() {
        return readLines(stateDir.resolve("calls.log"));
    }

    /** Invocations the stand-ins did not know; a test should expect none. */
    public List<String> unsupportedCalls() {
        return readLines(stateDir.resolve("unsupported.log"));
    }

    public boolean stateFileExists(String name) {
        return Files.exists(stateDir.resolve(name));
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        closed = true;
        try {
            server.stop(true);
        } finally {
            try (Stream<Path> files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** An exec request: {@code /bin/sh -c COMMAND} with the stand-in tools first on PATH, stdin wired through. */
    private final class ProcessCommand implements Command {

        private final String command;
        private InputStream in;
        private OutputStream out;
        private OutputStream err;
        private ExitCallback exit;
        private Process process;

        ProcessCommand(String command) {
            this.command = command;
        }

        @Override
        public void setInputStream(InputStream stream) {
            this.in = stream;
        }

        @Override
        public void setOutputStream(OutputStream stream) {
            this.out = stream;
        }

        @Override
        public void setErrorStream(OutputStream stream) {
            this.err = stream;
        }

        @Override
        public void setExitCallback(ExitCallback callback) {
            this.exit = callback;
        }

        @Override
        public void start(ChannelSession channel, Environment env) throws IOException {
            int id = commands.incrementAndGet();
            ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", command);
            builder.environment().put("PATH", binDir + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
            builder.environment().put("CIB_STANDIN_STATE", stateDir.toString());
            builder.environment().remove("KUBECONFIG");
            builder.directory(root.toFile());
            // Output goes through FIFOs read until every writer is gone, like sshd's pipes. Process's own pipes are
            // drained and closed by the JDK when /bin/sh exits, which loses what an orphaned child (say, a script
            // still cleaning up after `timeout` gave up on its parent) writes afterwards.
            Path outFifo = fifo(root.resolve("exec-" + id + ".out"));
            Path errFifo = fifo(root.resolve("exec-" + id + ".err"));
            Thread stdout = copyFrom(outFifo, out, "stdout");
            Thread stderr = copyFrom(errFifo, err, "stderr");
            builder.redirectOutput(outFifo.toFile());
            builder.redirectError(errFifo.toFile());
            process = builder.start();
            Thread stdin = copy(in, process.getOutputStream(), "stdin", true);
            Thread waiter = new Thread(() -> {
                int code;
                try {
                    code = process.waitFor();
                    stdout.join();
                    stderr.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    code = 130;
                }
                stdin.interrupt();
                exit.onExit(code);
            }, "standin-exec-wait");
            waiter.setDaemon(true);
            waiter.start();
        }

        private Path fifo(Path path) throws IOException {
            try {
                Process mkfifo = new ProcessBuilder("mkfifo", path.toString()).redirectErrorStream(true).start();
                String said = new String(mkfifo.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (mkfifo.waitFor() != 0) {
                    throw new IOException("mkfifo " + path + ": " + said);
                }
                return path;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted making " + path, e);
            }
        }

        /** Opens the FIFO (blocking until the process side opens it) and copies it until EOF. */
        private Thread copyFrom(Path fifo, OutputStream to, String name) {
            Thread thread = new Thread(() -> {
                try (InputStream from = Files.newInputStream(fifo)) {
                    byte[] buffer = new byte[8192];
                    int n;
                    while ((n = from.read(buffer)) >= 0) {
                        to.write(buffer, 0, n);
                        to.flush();
                    }
                } catch (IOException e) {
                    // The channel is gone.
                }
            }, "standin-exec-" + name);
            thread.setDaemon(true);
            thread.start();
            return thread;
        }

        @Override
        public void destroy(ChannelSession channel) {
            if (process != null && process.isAlive()) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        }

        private Thread copy(InputStream from, OutputStream to, String name, boolean closeTarget) {
            Thread thread = new Thread(() -> {
                byte[] buffer = new byte[8192];
                try {
                    int n;
                    while ((n = from.read(buffer)) >= 0) {
                        to.write(buffer, 0, n);
                        to.flush();
                    }
                } catch (IOException e) {
                    // The process or the channel is gone.
                } finally {
                    if (closeTarget) {
                        try {
                            to.close();
                        } catch (IOException ignored) {
                            // nothing left to tell
                        }
                    }
                }
            }, "standin-exec-" + name);
            thread.setDaemon(true);
            thread.start();
            return thread;
        }
    }
}
