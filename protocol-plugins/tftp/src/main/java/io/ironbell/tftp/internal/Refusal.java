package io.ironbell.tftp.internal;

/**
 * Why a datagram on the well-known port got no transfer: the {@code reason} label of
 * {@code ironbell_tftp_refused_total}, and the error code the client is sent.
 */
enum Refusal {
    WRITE("write", Tftp.ERR_ACCESS),
    ILLEGAL("illegal", Tftp.ERR_ILLEGAL),
    PATH("path", Tftp.ERR_ACCESS),
    UNREADABLE("unreadable", Tftp.ERR_ACCESS),
    NOT_FOUND("not_found", Tftp.ERR_NOT_FOUND),
    OPTION("option", Tftp.ERR_OPTION),
    /** The client's address has tftp.maxPerClient transfers, all of them answered. */
    PER_CLIENT("per_client", Tftp.ERR_UNDEFINED),
    /** The server has tftp.maxTransfers transfers, all of them answered. */
    FULL("full", Tftp.ERR_UNDEFINED),
    /** tftp.knownHardwareOnly and no hardware record reserves the address: no answer at all. */
    UNKNOWN_CLIENT("unknown_client", -1);

    final String label;
    final int code;

    Refusal(String label, int code) {
        this.label = label;
        this.code = code;
    }

    /** Whether it protects the server rather than answers a client's mistake: logged as a warning. */
    boolean protective() {
        return this == PER_CLIENT || this == FULL || this == UNKNOWN_CLIENT;
    }
}
