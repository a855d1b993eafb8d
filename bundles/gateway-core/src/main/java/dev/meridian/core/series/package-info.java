/**
 * Per-node time series of the data plane (issue 14): for each API and shape, requests, answers by
 * status class, cache outcomes, cache evictions by reason and a latency histogram, in one-second
 * slots for the last 15 minutes and one-minute slots for the last 24 hours, aligned on wall-clock
 * epoch seconds so that every node's slots line up.
 *
 * <p>{@link dev.meridian.core.series.SeriesBook} is the node's store: the data plane asks it once
 * per route for a {@link dev.meridian.core.series.Series} handle and records every answer on it
 * (no lock, no allocation); the admin side calls {@link dev.meridian.core.series.SeriesBook#roll}
 * about once a second and {@link dev.meridian.core.series.SeriesBook#read} on request, which gives
 * an immutable {@link dev.meridian.core.series.Frame}: merged across nodes, encoded for the
 * cluster (bytes only, JDK types) and rendered as the JSON tree of
 * {@code GET /api/v1/metrics/series}. JDK only.
 */
@Export
@Version("1.1.0")
package dev.meridian.core.series;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
