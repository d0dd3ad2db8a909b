package io.kubevirt.cib.devstack.guest;

import io.kubevirt.cib.devstack.SlowCloudProxy;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * moto plus what moto cannot do, for the local run: a {@link SlowCloudProxy} in front of moto that answers
 * GetConsoleOutput with the {@link StandInGuest}'s host-key block (as cloud-init prints it) and hands the user data
 * of every RunInstances to the guest (as cloud-init installs it). Point the test-worker's cloud endpoint at
 * {@link #cloudEndpoint()} and its {@code cib.verify.address-override} at {@link #sshAddress()}: every instance it
 * launches is then "booted" as this one guest.
 */
public final class MotoWithGuest implements AutoCloseable {

    /** Keys of this many recent launches may log in: enough for concurrent verifications, not an ever-growing list. */
    private static final int REMEMBERED_LAUNCHES = 16;

    private final SlowCloudProxy proxy;
    private final StandInGuest guest;

    private MotoWithGuest(SlowCloudProxy proxy, StandInGuest guest) {
        this.proxy = proxy;
        this.guest = guest;
    }

    /** {@code scenario}: one of {@link StandInGuest#SCENARIOS}; "pass" verifies, e.g. "vm-never-running" fails. */
    public static MotoWithGuest start(String motoEndpoint, String scenario) throws IOException {
        LaunchKeys keys = new LaunchKeys();
        StandInGuest guest = StandInGuest.builder(keys::authorized).scenario(scenario).start();
        try {
            SlowCloudProxy proxy = SlowCloudProxy.start(motoEndpoint);
            proxy.observe("RunInstances", params -> keys.launched(params.get("UserData")));
            proxy.answer("GetConsoleOutput", CloudInit.consoleOutputXml(guest.reportedHostKeyLine()));
            return new MotoWithGuest(proxy, guest);
        } catch (RuntimeException e) {
            guest.close();
            throw e;
        }
    }

    /** moto behind the proxy: "http://127.0.0.1:PORT". */
    public String cloudEndpoint() {
        return proxy.endpoint();
    }

    /** The guest's SSH server: "127.0.0.1:PORT". */
    public String sshAddress() {
        return guest.address();
    }

    public StandInGuest guest() {
        return guest;
    }

    public SlowCloudProxy proxy() {
        return proxy;
    }

    /** The keys of the recent launches' user data: what cloud-init would have installed on each of them. */
    private static final class LaunchKeys {
        private final Deque<List<String>> launches = new ArrayDeque<>();

        synchronized void launched(String userData) {
            List<String> keys = CloudInit.authorizedKeysFromBase64(userData);
            if (!keys.isEmpty()) {
                launches.addLast(keys);
                while (launches.size() > REMEMBERED_LAUNCHES) {
                    launches.removeFirst();
                }
            }
        }

        synchronized List<String> authorized() {
            return launches.stream().flatMap(List::stream).toList();
        }
    }

    @Override
    public void close() throws IOException {
        try {
            proxy.close();
        } finally {
            guest.close();
        }
    }
}
