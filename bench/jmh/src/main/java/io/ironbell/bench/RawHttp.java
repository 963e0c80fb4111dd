package io.ironbell.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One keep-alive HTTP/1.1 connection with blocking I/O, over TLS when given a context: the
 * cheapest client a load driver can have, so that on a 2-core machine the driver takes little of
 * the CPU the server needs. Understands Content-Length bodies only (what Ironbell's API sends).
 * Over TLS it verifies the server as any client must (chain and name).
 */
final class RawHttp implements AutoCloseable {

    /** A response. */
    record Response(int status, String body) {
    }

    private final String host;
    private final int port;
    private final String auth;
    private final javax.net.ssl.SSLContext tls;
    private Socket socket;
    private OutputStream out;
    private InputStream in;

    RawHttp(String host, int port, String token) {
        this(host, port, token, null);
    }

    /** @param tls the context to verify the server with, or null for plain HTTP */
    RawHttp(String host, int port, String token, javax.net.ssl.SSLContext tls) {
        this.host = host;
        this.port = port;
        this.auth = "Authorization: Bearer " + token + "\r\n";
        this.tls = tls;
    }

    /** Opens the connection (and does the TLS handshake) now, if it is not open. */
    void connect() throws IOException {
        if (socket != null) {
            return;
        }
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(host, port), 10_000);
        socket.setSoTimeout(60_000);
        if (tls != null) {
            javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) tls.getSocketFactory().createSocket(socket, host, port, true);
            javax.net.ssl.SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            s.setSSLParameters(p);
            s.startHandshake();
            socket = s;
        }
        out = socket.getOutputStream();
        in = new BufferedInputStream(socket.getInputStream(), 16 << 10);
    }

    Response send(String method, String path, String body) throws IOException {
        for (int attempt = 0; ; attempt++) {
            try {
                connect();
                byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
                String head = method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + auth
                        + (body == null ? "" : "Content-Type: application/json\r\n") + "Content-Length: " + b.length + "\r\n\r\n";
                out.write(head.getBytes(StandardCharsets.US_ASCII));
                out.write(b);
                out.flush();
                return read();
            } catch (IOException e) {
                close();
                if (attempt > 0) {
                    throw e;
                }
            }
        }
    }

    private Response read() throws IOException {
        String status = line();
        int code = Integer.parseInt(status.substring(9, 12));
        int length = 0;
        boolean close = false;
        for (String h = line(); !h.isEmpty(); h = line()) {
            int colon = h.indexOf(':');
            String name = h.substring(0, colon).trim();
            if (name.equalsIgnoreCase("content-length")) {
                length = Integer.parseInt(h.substring(colon + 1).trim());
            } else if (name.equalsIgnoreCase("connection") && h.substring(colon + 1).trim().equalsIgnoreCase("close")) {
                close = true;
            }
        }
        byte[] body = in.readNBytes(length);
        if (close) {
            close();
        }
        return new Response(code, new String(body, StandardCharsets.UTF_8));
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new IOException("connection closed");
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            socket = null;
        }
    }
}
