/**
 * The manager's service: apply, validate, delete, roll back and inspect revisions. Used by the
 * admin API, the Karaf shell commands and the deploy folder alike.
 */
@Export
@Version("2.4.0")
package dev.meridian.manager;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
