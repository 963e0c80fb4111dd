/**
 * The one Jackson configuration every Ironbell component uses for the model.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.ironbell.api.json;
