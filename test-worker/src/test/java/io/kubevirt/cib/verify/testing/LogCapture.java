package io.kubevirt.cib.verify.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Collects log records while open (sshj logs through slf4j into JBoss LogManager, i.e. JUL). The SSH client library
 * is turned up to its most detailed level meanwhile, so a test sees everything it could ever say; those records go
 * only here, not to the console.
 */
public final class LogCapture extends Handler implements AutoCloseable {

    private static final List<String> CLIENT_LOGGERS = List.of("net.schmizz", "com.hierynomus");

    private final List<String> records = new ArrayList<>();
    private final Logger root = Logger.getLogger("");
    private final List<Logger> raised = new ArrayList<>();
    private final List<Level> previousLevels = new ArrayList<>();
    private final List<Boolean> previousUseParent = new ArrayList<>();

    public LogCapture() {
        setLevel(Level.ALL);
        root.addHandler(this);
        for (String name : CLIENT_LOGGERS) {
            Logger logger = Logger.getLogger(name);
            raised.add(logger);
            previousLevels.add(logger.getLevel());
            previousUseParent.add(logger.getUseParentHandlers());
            logger.setLevel(Level.FINEST);
            logger.setUseParentHandlers(false);
            logger.addHandler(this);
        }
    }

    @Override
    public synchronized void publish(LogRecord record) {
        StringBuilder text = new StringBuilder().append(record.getLoggerName()).append(' ')
                .append(record.getMessage());
        if (record.getParameters() != null) {
            for (Object p : record.getParameters()) {
                text.append(' ').append(p);
            }
        }
        if (record.getThrown() != null) {
            text.append(' ').append(record.getThrown());
        }
        records.add(text.toString());
    }

    public synchronized String text() {
        return String.join("\n", records);
    }

    public synchronized int size() {
        return records.size();
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        root.removeHandler(this);
        for (int i = 0; i < raised.size(); i++) {
            Logger logger = raised.get(i);
            logger.removeHandler(this);
            logger.setLevel(previousLevels.get(i));
            logger.setUseParentHandlers(previousUseParent.get(i));
        }
    }
}
