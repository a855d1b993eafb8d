/**
 * The Meridian policy SPI: what a policy or transform bundle implements and what the engine
 * offers it. Camel-free, Jetty-free, Hazelcast-free, so that a policy bundle can be replaced
 * on a running node without refreshing the engine.
 *
 * <p>A bundle registers one {@link dev.meridian.policy.api.PolicyFactory} per type as an OSGi
 * service (Declarative Services), with the service property
 * {@value dev.meridian.policy.api.PolicyFactory#TYPE_PROPERTY} set to the type name. The engine
 * validates and compiles each policy of a definition once, at apply time, and runs the
 * resulting {@link dev.meridian.policy.api.Policy} on every request of that revision.
 *
 * <p>Versioning: new methods arrive as {@code default} methods with a minor version bump.
 */
@Export
@Version("1.4.0")
package dev.meridian.policy.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
