/**
 * Who may call the API: named tokens with roles and expiry ({@link io.ironbell.api.auth.TokenStore}),
 * and the audit log of every change ({@link io.ironbell.api.auth.AuditLog}).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.ironbell.api.auth;
