/**
 * Karaf shell commands in scope {@code gateway}. Private to the bundle: Karaf finds the
 * {@code @Service} command classes through the {@code Karaf-Commands} manifest header and
 * registers them once a {@link dev.meridian.manager.GatewayAdmin} service is available.
 */
package dev.meridian.shell;
