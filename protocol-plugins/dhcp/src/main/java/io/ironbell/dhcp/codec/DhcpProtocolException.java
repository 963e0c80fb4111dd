package io.ironbell.dhcp.codec;

import io.netty.handler.codec.DecoderException;

/** A datagram that is not a well-formed DHCP message; the message says what is wrong and where. */
public final class DhcpProtocolException extends DecoderException {

    private static final long serialVersionUID = 1L;

    public DhcpProtocolException(String message) {
        super(message);
    }
}
