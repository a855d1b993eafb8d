/**
 * The cluster as the rest of Meridian sees it: small interfaces with JDK types only. Hazelcast
 * stays inside this bundle (CONTRACT §1, STYLE: one owner per third-party stack).
 */
@Export
@Version("1.5.0")
package dev.meridian.cluster;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
