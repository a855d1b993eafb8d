/**
 * The engine's view of the running gateway: immutable route table snapshots published
 * atomically, the compiled policy chains they hold, and the {@link dev.meridian.core.GatewayEngine}
 * service through which the manager validates and publishes revisions.
 */
@Export
@Version("1.11.0")
package dev.meridian.core;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
