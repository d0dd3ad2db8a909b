package io.kubevirt.cib.common.phase;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * One handling per request id at a time in this process. Records run concurrently, so a redelivery can arrive while
 * the first delivery is still working; the second then waits and finds the first one's result (by tags) instead of
 * starting the same side effect twice.
 */
public final class RequestLocks {

    private final ConcurrentHashMap<String, ReentrantLock> inFlight = new ConcurrentHashMap<>();

    public <T> T exclusively(String requestId, Supplier<T> work) {
        ReentrantLock lock = inFlight.computeIfAbsent(requestId, id -> new ReentrantLock());
        lock.lock();
        try {
            return work.get();
        } finally {
            lock.unlock();
            if (!lock.hasQueuedThreads()) {
                inFlight.remove(requestId, lock);
            }
        }
    }
}
