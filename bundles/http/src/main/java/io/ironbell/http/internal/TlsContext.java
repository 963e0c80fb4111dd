package io.ironbell.http.internal;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTPS listener's certificate chain and key, read from two PEM files and read again when
 * either changes: an operator replaces the files (a renewed certificate) and new connections use
 * them, with no restart. A pair that does not load (a half-written file, a key that does not
 * match) is logged and the previous pair stays in use.
 */
final class TlsContext {

    private static final Logger LOG = LoggerFactory.getLogger(TlsContext.class);

    private final Path chain;
    private final Path key;
    private volatile Loaded loaded;
    private String refusedStamp;

    private record Loaded(SslContext ssl, String anchor, String stamp) {
    }

    /**
     * @throws IOException when the files cannot be read or do not make a server context
     */
    TlsContext(Path chain, Path key) throws IOException {
        this.chain = chain;
        this.key = key;
        loaded = load();
        LOG.info("TLS: serving {} (trust anchor {})", chain, loaded.anchor());
    }

    /** The context new connections get. */
    SslContext current() {
        return loaded.ssl();
    }

    /** The fingerprint of the last certificate of the chain file, which machines pin. */
    String anchor() {
        return loaded.anchor();
    }

    /** Reads the files again when they changed since the last read; returns whether it did. */
    synchronized boolean reloadIfChanged() {
        String now = null;
        try {
            now = stamp();
            if (Objects.equals(now, loaded.stamp()) || Objects.equals(now, refusedStamp)) {
                return false;
            }
            Loaded next = load();
            loaded = next;
            LOG.info("TLS: read {} again; new connections get it (trust anchor {})", chain, next.anchor());
            return true;
        } catch (IOException e) {
            refusedStamp = now; // said once per change, not at every check
            LOG.error("TLS: {} or {} changed but cannot be used ({}); the previous certificate stays in use", chain, key, e.getMessage());
            return false;
        }
    }

    private Loaded load() throws IOException {
        String stamp = stamp();
        try {
            List<X509Certificate> certs = ServerCertificates.certificates(chain);
            ServerCertificates.checkPair(certs.get(0), ServerCertificates.privateKey(key));
            SslContext ssl = SslContextBuilder.forServer(chain.toFile(), key.toFile()).protocols("TLSv1.3", "TLSv1.2").build();
            return new Loaded(ssl, ServerCertificates.fingerprint(certs.get(certs.size() - 1)), stamp);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        } catch (javax.net.ssl.SSLException e) {
            throw new IOException("the key does not fit the certificate or cannot be read: " + e.getMessage(), e);
        }
    }

    private String stamp() throws IOException {
        return Files.getLastModifiedTime(chain) + "/" + Files.size(chain) + " " + Files.getLastModifiedTime(key) + "/" + Files.size(key);
    }
}
