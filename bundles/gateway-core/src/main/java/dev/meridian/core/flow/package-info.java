/**
 * The data plane's seam, JDK types only: the {@link dev.meridian.core.flow.Exchange} every step
 * of a request sees, the {@link dev.meridian.core.flow.Step}s (policy phases here, the cache's in
 * {@code gateway-cache}, the upstream call behind {@link dev.meridian.core.flow.UpstreamClient}),
 * and the {@link dev.meridian.core.flow.Pipeline} that runs them. {@code gateway-http} owns Jetty
 * and adapts its requests to exchanges; {@code gateway-camel} owns Camel and registers the
 * pipeline. Nothing here knows either.
 *
 * <p>Threading: an exchange is used by one step at a time; steps hand over through their
 * continuation ({@link dev.meridian.core.flow.Step.Next}), which establishes happens-before. No
 * step blocks: a step that waits (an asynchronous policy, the cluster, the upstream) returns and
 * resumes the exchange from the thread that completes the wait.
 */
@Export
@Version("1.2.0")
package dev.meridian.core.flow;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
