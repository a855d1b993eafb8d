package dev.meridian.core;

/** A policy type provided by a bundle on this node. */
public record PluginInfo(String type, String bundle, String version, boolean active) {
}
