/**
 * The server's repository of action plugins: bundles pushed by operators, claimed by image, pinned
 * per workflow and fetched by workers at run time ({@link io.ironbell.api.plugin.PluginRepository}).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.ironbell.api.plugin;
