/**
 * Who may call the API: named tokens with roles and expiry ({@link io.ironbell.api.auth.TokenStore}),
 * the audit log of every change ({@link io.ironbell.api.auth.AuditLog}), and machines' own
 * credentials ({@link io.ironbell.api.auth.MachineCredentials}).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package io.ironbell.api.auth;
