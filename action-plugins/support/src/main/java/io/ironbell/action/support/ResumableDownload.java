package io.ironbell.action.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLSocketFactory;

/**
 * The body of an HTTP(S) GET that survives a dropped or stalled connection: when reading fails
 * midway, or no byte comes for the read timeout, it asks again from where it stopped
 * ({@code Range: bytes=N-}, {@code If-Range} with the ETag) and goes on, a few times with a
 * growing pause. A server that ignores Range, or whose file changed, ends the download with an
 * error instead of silently restarting it. (HttpURLConnection rather than java.net.http: only it
 * bounds the wait for each read of the body.)
 */
public final class ResumableDownload extends InputStream {

    /** Why the source cannot be read; its message names the URL and the answer. */
    public static final class SourceException extends IOException {
        private static final long serialVersionUID = 1L;
        private final int status;

        public SourceException(String message, int status) {
            super(message);
            this.status = status;
        }

        /** The HTTP status, or 0 when there was none. */
        public int status() {
            return status;
        }
    }

    /** How many times a download resumes before it gives up. */
    public static final int MAX_RESUMES = 5;

    private final URI uri;
    private final Duration readTimeout;
    private final Map<String, String> headers;
    private final SSLSocketFactory tls;
    private final Consumer<String> log;
    private InputStream body;
    private long offset;
    private long length = -1;
    private String etag;
    private int resumes;
    private volatile boolean failed;

    /**
     * Starts the download.
     *
     * @param uri         an http or https URL
     * @param readTimeout how long one read may wait before the download resumes
     * @param headers     request headers sent with every request (authorization, accept)
     * @param log         where resumes are told
     * @throws SourceException when the server answers anything but 200
     */
    public ResumableDownload(URI uri, Duration readTimeout, Map<String, String> headers, Consumer<String> log)
            throws IOException, InterruptedException {
        this(uri, readTimeout, headers, log, null);
    }

    /**
     * Starts the download, over TLS with the given socket factory (e.g. one that skips
     * verification, when the operator asked for that).
     *
     * @param tls the factory for https connections, or null for the default
     */
    public ResumableDownload(URI uri, Duration readTimeout, Map<String, String> headers, Consumer<String> log, SSLSocketFactory tls)
            throws IOException, InterruptedException {
        this.tls = tls;
        this.uri = uri;
        this.readTimeout = readTimeout;
        this.headers = Map.copyOf(headers);
        this.log = log;
        open();
    }

    /** The URL downloaded. */
    public URI uri() {
        return uri;
    }

    /** The length of the whole file, or -1 when the server did not say. */
    public long length() {
        return length;
    }

    /** Bytes received so far. */
    public long received() {
        return offset;
    }

    /**
     * Whether the download itself failed (the server refused a resume, or it gave up): a reader
     * that fails while this is false failed on the data, not on the network.
     */
    public boolean failed() {
        return failed;
    }

    /** How many times the download resumed. */
    public int resumes() {
        return resumes;
    }

    private void open() throws IOException, InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
        if (tls != null && c instanceof HttpsURLConnection https) {
            https.setSSLSocketFactory(tls);
            https.setHostnameVerifier((host, session) -> true);
        }
        c.setConnectTimeout(15_000);
        c.setReadTimeout((int) readTimeout.toMillis());
        c.setInstanceFollowRedirects(true);
        headers.forEach(c::setRequestProperty);
        if (offset > 0) {
            if (etag == null) {
                c.disconnect();
                throw new SourceException(uri + " broke at byte " + offset + " and sent neither ETag nor Last-Modified, "
                        + "so a resume could mix two versions of the file", 0);
            }
            c.setRequestProperty("Range", "bytes=" + offset + "-");
            c.setRequestProperty("If-Range", etag);
        }
        int status = c.getResponseCode();
        if (offset == 0 && status == 200) {
            length = c.getContentLengthLong();
            // what a resume must match, so that it never glues two versions of the file together
            etag = c.getHeaderField("ETag") != null ? c.getHeaderField("ETag") : c.getHeaderField("Last-Modified");
        } else if (offset > 0 && status == 206) {
            String range = String.valueOf(c.getHeaderField("Content-Range"));
            if (!range.startsWith("bytes " + offset + "-")) {
                c.disconnect();
                throw new SourceException(uri + " resumed at the wrong place: Content-Range '" + range + "', wanted byte " + offset, status);
            }
        } else {
            c.disconnect();
            String why = offset > 0 && status == 200 ? " (it ignored Range or the file changed, so the download cannot resume)" : "";
            throw new SourceException(uri + " answered " + status + why, status);
        }
        body = c.getInputStream();
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        while (true) {
            try {
                int n = body.read(b, off, len);
                if (n < 0 && length >= 0 && offset < length) {
                    throw new IOException("connection closed at byte " + offset + " of " + length);
                }
                if (n > 0) {
                    offset += n;
                }
                return n;
            } catch (SourceException e) {
                failed = true;
                throw e;
            } catch (IOException e) {
                try {
                    resume(e);
                } catch (IOException gaveUp) {
                    failed = true;
                    throw gaveUp;
                }
            }
        }
    }

    private void resume(IOException cause) throws IOException {
        while (true) {
            if (++resumes > MAX_RESUMES) {
                throw new IOException("gave up on " + uri + " after " + MAX_RESUMES + " resumes: " + cause.getMessage(), cause);
            }
            log.accept("download of " + uri + " broke at byte " + offset + " (" + cause.getMessage() + "); resuming");
            try {
                body.close();
            } catch (IOException ignored) {
                // the connection is gone anyway
            }
            try {
                Thread.sleep(250L << Math.min(resumes, 4));
                open();
                return;
            } catch (SourceException e) {
                throw e;
            } catch (IOException e) {
                cause = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while resuming " + uri);
            }
        }
    }

    @Override
    public void close() throws IOException {
        body.close();
    }
}
