package io.kubevirt.cib.verify.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A fixed 127.0.0.1 port that forwards each connection to whichever SSH stand-in a test currently points it at.
 * The worker's address override is fixed at start-up; this lets every test bring its own instance behaviour.
 */
public final class TcpForwarder implements AutoCloseable {

    private final ServerSocket server;
    private volatile int targetPort = -1;

    public TcpForwarder() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::acceptLoop, "tcp-forwarder");
        accept.setDaemon(true);
        accept.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Forward to this port from now on; -1 means refuse (close at once), like a port nobody listens on. */
    public void pointAt(int port) {
        targetPort = port;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                int port = targetPort;
                if (port < 0) {
                    client.close();
                    continue;
                }
                Socket upstream;
                try {
                    upstream = new Socket();
                    upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
                } catch (IOException refused) {
                    client.close();
                    continue;
                }
                pump(client, upstream);
                pump(upstream, client);
            } catch (IOException e) {
                // closed
            }
        }
    }

    private static void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                in.transferTo(out);
            } catch (IOException e) {
                // one side went away
            } finally {
                try {
                    to.close();
                    from.close();
                } catch (IOException ignored) {
                    // already closed
                }
            }
        }, "tcp-forwarder-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
