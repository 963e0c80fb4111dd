/**
 * Tinkerbell's Kubernetes objects (Hardware, Template, Workflow, Rufio's Machine and Job, Secrets)
 * applied to Ironbell and written back: the objects as applied, and the service that maps them.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.ironbell.api.manifest;
