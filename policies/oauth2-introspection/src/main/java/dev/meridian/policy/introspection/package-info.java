package dev.meridian.policy.introspection;

