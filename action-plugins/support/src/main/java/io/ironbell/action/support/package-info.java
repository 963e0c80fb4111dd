/**
 * What disk actions share, for Ironbell's plugins and for vendors' own: {@link
 * io.ironbell.action.support.Compression}, {@link io.ironbell.action.support.ResumableDownload},
 * {@link io.ironbell.action.support.DiskImageWriter}, {@link io.ironbell.action.support.Checksum},
 * {@link io.ironbell.action.support.Mount} and {@link io.ironbell.action.support.Tools}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.ironbell.action.support;
