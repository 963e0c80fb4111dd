package io.ironbell.api.tftp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Serves files over TFTP from a bundle: generated per client (a script for the machine asking),
 * packed in a jar, or kept anywhere else. The TFTP server asks the registered providers in
 * service-ranking order, highest first, before it looks in {@code tftp.root}; the first that
 * has the name serves it. A provider that comes or goes takes effect for the next request.
 *
 * <p>{@link #open} runs on a network thread: it must answer from memory or a local file, and not
 * wait on the network or the database.
 */
@ConsumerType
public interface TftpFileProvider {

    /**
     * Returns the file with this name for this client, or empty when this provider does not have
     * it. The name is already normalised: relative, no {@code ..} segments, {@code /} separated.
     *
     * @throws IOException when the provider has the file but cannot read it; the client gets
     *                     an access error and no other provider is asked
     */
    Optional<TftpFile> open(String name, InetSocketAddress client) throws IOException;
}
