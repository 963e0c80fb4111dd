/**
 * Types shared by every store service: paging and the store's checked exception.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.ironbell.api.store;
