/**
 * Files that other bundles serve over Ironbell's TFTP server, beside its root directory.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.ironbell.api.tftp;
