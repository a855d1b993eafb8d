/**
 * API definitions: immutable records, YAML/JSON parsing and validation that reports every
 * problem with the path of the field it concerns, and small JSON utilities so that other
 * bundles need not import Jackson.
 */
@Export
@Version("1.6.0")
package dev.meridian.model;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
