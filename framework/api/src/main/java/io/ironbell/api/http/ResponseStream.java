package io.ironbell.api.http;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The open body of a streamed response (Server-Sent Events, logs that follow). Writes are
 * sent in order without blocking the caller; a stream whose client went away is closed.
 */
@ProviderType
public interface ResponseStream {

    /**
     * Sends bytes as the next part of the body.
     *
     * @return false when the stream is closed (the client left); the bytes were not sent
     */
    boolean write(byte[] bytes);

    /** Whether the client is still there. */
    boolean isOpen();

    /** Ends the body. */
    void close();

    /** Runs {@code action} once when the stream closes, from either side. */
    void onClose(Runnable action);
}
