package io.ironbell.api.log;

import io.ironbell.api.store.StoreException;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Keeps each machine's log lines, bounded per machine: when a machine's log is full, its
 * oldest lines are dropped first.
 */
@ProviderType
public interface MachineLogStore {

    /** Appends lines (each names its machine). */
    void append(List<LogLine> lines) throws StoreException;

    /** Returns up to {@code limit} lines of the machine with a sequence above {@code afterSequence}, in order. */
    List<LogLine> after(String machine, long afterSequence, int limit) throws StoreException;

    /** Returns the machine's last {@code limit} lines, in order. */
    List<LogLine> tail(String machine, int limit) throws StoreException;
}
