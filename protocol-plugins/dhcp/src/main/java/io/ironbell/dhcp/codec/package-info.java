/**
 * The DHCPv4 wire format: {@link io.ironbell.dhcp.codec.DhcpCodec} decodes and encodes
 * {@link io.ironbell.dhcp.codec.DhcpMessage}s on Netty buffers, without a channel. Private to
 * the DHCP bundle.
 */
package io.ironbell.dhcp.codec;
