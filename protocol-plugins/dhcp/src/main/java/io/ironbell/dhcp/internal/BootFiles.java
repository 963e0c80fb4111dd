package io.ironbell.dhcp.internal;

/**
 * Which iPXE binary a PXE client gets, by its architecture (option 93, RFC 4578 and IANA's
 * registry): the mapping Tinkerbell's Smee uses.
 */
final class BootFiles {

    static final String UNDIONLY = "undionly.kpxe";
    static final String IPXE_EFI = "ipxe.efi";
    static final String SNP_ARM64 = "snp-arm64.efi";

    private BootFiles() {
    }

    /** The binary for an architecture, or {@code null} for one Ironbell has none for. */
    static String forArch(int arch) {
        return switch (arch) {
            case 0, 1, 2, 3, 4, 5, 20 -> UNDIONLY;
            case 6, 7, 8, 9, 15, 16 -> IPXE_EFI;
            case 10, 11, 18, 19, 41 -> SNP_ARM64;
            default -> null;
        };
    }
}
