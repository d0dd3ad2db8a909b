package io.kubevirt.cib.verify.ssh;

import com.hierynomus.sshj.key.KeyAlgorithm;
import com.hierynomus.sshj.key.KeyAlgorithms;
import io.kubevirt.cib.verify.domain.HostKeyMismatchException;
import io.kubevirt.cib.verify.domain.RemoteShell;
import io.kubevirt.cib.verify.domain.SshConnector;
import io.kubevirt.cib.verify.domain.SshTarget;
import io.kubevirt.cib.verify.domain.SshUnavailableException;
import java.io.IOException;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import net.schmizz.keepalive.KeepAlive;
import net.schmizz.keepalive.KeepAliveProvider;
import net.schmizz.keepalive.KeepAliveRunner;
import net.schmizz.sshj.DefaultConfig;
import net.schmizz.sshj.SSHClient;
import net.schmizz.sshj.common.Factory;
import net.schmizz.sshj.common.KeyType;
import net.schmizz.sshj.transport.verification.HostKeyVerifier;
import net.schmizz.sshj.userauth.keyprovider.KeyPairWrapper;

/**
 * Opens SSH sessions with sshj, accepting only the host keys the cloud reported for the instance.
 *
 * <p>sshj offers every host key algorithm it knows and the server picks the first one it also has, so a pin of one
 * type fails against a server that holds another type it prefers. The client therefore offers only the pinned types
 * during key exchange, and adds the client key's own algorithm afterwards, for the user-auth signature.
 */
public final class SshjConnector implements SshConnector {

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(15);
    /** How long the remote {@code timeout} waits after TERM before it sends KILL. */
    public static final Duration DEFAULT_KILL_AFTER = Duration.ofSeconds(10);
    // Keep-alive requests every 15 s; 4 unanswered ones (a dead peer) end the connection instead of hanging a run.
    private static final int KEEP_ALIVE_SECONDS = 15;
    private static final int KEEP_ALIVE_MAX_UNANSWERED = 4;

    private final Duration connectTimeout;
    private final Duration killAfter;

    public SshjConnector() {
        this(DEFAULT_CONNECT_TIMEOUT, DEFAULT_KILL_AFTER);
    }

    /**
     * @param connectTimeout bound on the TCP connect, and on each key-exchange and auth round trip
     * @param killAfter grace between TERM and KILL when a command outlives its timeout
     */
    public SshjConnector(Duration connectTimeout, Duration killAfter) {
        if (connectTimeout.isNegative() || connectTimeout.isZero() || killAfter.isNegative()) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
        this.connectTimeout = connectTimeout;
        this.killAfter = killAfter;
    }

    @Override
    public RemoteShell connect(SshTarget target) throws SshUnavailableException, HostKeyMismatchException {
        String where = target.host() + ":" + target.port();
        PinnedHostKeys pins;
        try {
            pins = PinnedHostKeys.parse(target.pinnedHostKeys());
        } catch (IllegalArgumentException e) {
            // What the cloud reported cannot be pinned: nothing may be trusted, and asking again will not help.
            throw new HostKeyMismatchException("the host keys the cloud reported for " + where
                    + " cannot be used: " + e.getMessage());
        }

        DefaultConfig config = new DefaultConfig();
        config.setKeepAliveProvider(KeepAliveProvider.KEEP_ALIVE);
        List<Factory.Named<KeyAlgorithm>> known = config.getKeyAlgorithms();
        List<Factory.Named<KeyAlgorithm>> hostAlgorithms = algorithmsFor(known, pins.types());
        if (hostAlgorithms.isEmpty()) {
            throw new IllegalArgumentException("sshj cannot verify any of the pinned host key types " + pins.types());
        }
        KeyType clientType = KeyType.fromKey(target.identity().keyPair().getPublic());
        List<Factory.Named<KeyAlgorithm>> clientAlgorithms = algorithmsFor(known, Set.of(clientType));
        config.setKeyAlgorithms(hostAlgorithms);

        SSHClient client = new SSHClient(config);
        PinningVerifier verifier = new PinningVerifier(pins, hostAlgorithms);
        client.addHostKeyVerifier(verifier);
        int timeoutMs = (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis());
        client.setConnectTimeout(timeoutMs);
        client.getTransport().setTimeoutMs(timeoutMs);
        KeepAlive keepAlive = client.getConnection().getKeepAlive();
        keepAlive.setKeepAliveInterval(KEEP_ALIVE_SECONDS);
        if (keepAlive instanceof KeepAliveRunner) {
            ((KeepAliveRunner) keepAlive).setMaxAliveCount(KEEP_ALIVE_MAX_UNANSWERED);
        }
        try {
            client.connect(target.host(), target.port());
        } catch (IOException | RuntimeException e) {
            closeQuietly(client);
            PublicKey offered = verifier.rejected();
            if (offered != null) {
                throw new HostKeyMismatchException("host key of " + where + " is not one the cloud reported: server "
                        + "offered " + KeyType.fromKey(offered) + " " + PinnedHostKeys.fingerprint(offered)
                        + "; pinned " + pins);
            }
            if (isHostKeyAlgorithmSettlementFailure(e)) {
                // The server holds no key of any pinned type: not the instance the cloud described.
                throw new HostKeyMismatchException("server at " + where + " offers none of the pinned host key types "
                        + pins.types() + "; pinned " + pins);
            }
            throw new SshUnavailableException("cannot open SSH to " + where + ": " + describe(e), e);
        }

        // Key exchange is over, with a pinned type; user auth signs with the client key's own algorithm.
        List<Factory.Named<KeyAlgorithm>> afterKex = new ArrayList<>(hostAlgorithms);
        for (Factory.Named<KeyAlgorithm> algorithm : clientAlgorithms) {
            if (!afterKex.contains(algorithm)) {
                afterKex.add(algorithm);
            }
        }
        config.setKeyAlgorithms(afterKex);
        try {
            client.authPublickey(target.user(), new KeyPairWrapper(target.identity().keyPair()));
        } catch (IOException | RuntimeException e) {
            closeQuietly(client);
            // Retryable: cloud-init may not have installed the key yet.
            throw new SshUnavailableException("SSH login as " + target.user() + " at " + where + " failed: "
                    + describe(e), e);
        }
        return new SshjRemoteShell(client, where, killAfter);
    }

    private static List<Factory.Named<KeyAlgorithm>> algorithmsFor(List<Factory.Named<KeyAlgorithm>> known,
            Set<KeyType> types) {
        List<Factory.Named<KeyAlgorithm>> selected = new ArrayList<>();
        for (Factory.Named<KeyAlgorithm> algorithm : known) {
            if (algorithm instanceof KeyAlgorithms.Factory
                    && types.contains(((KeyAlgorithms.Factory) algorithm).getKeyType())) {
                selected.add(algorithm);
            }
        }
        return selected;
    }

    private static boolean isHostKeyAlgorithmSettlementFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = t.getMessage();
            if (message != null && message.contains("settlement of HostKeyAlgorithms")) {
                return true;
            }
        }
        return false;
    }

    static String describe(Throwable e) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = e; t != null && text.length() < 300; t = t.getCause()) {
            if (text.length() > 0) {
                text.append(" <- ");
            }
            text.append(t.getClass().getSimpleName());
            if (t.getMessage() != null) {
                text.append(": ").append(t.getMessage());
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return text.toString();
    }

    static void closeQuietly(SSHClient client) {
        try {
            client.close();
        } catch (IOException | RuntimeException ignored) {
            // Best effort: the connection is being abandoned anyway.
        }
    }

    /** Accepts exactly the pinned keys and remembers a rejected one for the error message. */
    private static final class PinningVerifier implements HostKeyVerifier {

        private final PinnedHostKeys pins;
        private final List<String> algorithms;
        private volatile PublicKey rejected;

        PinningVerifier(PinnedHostKeys pins, List<Factory.Named<KeyAlgorithm>> algorithms) {
            this.pins = pins;
            List<String> names = new ArrayList<>();
            algorithms.forEach(a -> names.add(a.getName()));
            this.algorithms = Collections.unmodifiableList(names);
        }

        @Override
        public boolean verify(String hostname, int port, PublicKey key) {
            if (pins.matches(key)) {
                return true;
            }
            rejected = key;
            return false;
        }

        @Override
        public List<String> findExistingAlgorithms(String hostname, int port) {
            return algorithms;
        }

        PublicKey rejected() {
            return rejected;
        }

        @Override
        public String toString() {
            return "PinningVerifier[" + pins + "]";
        }
    }
}
