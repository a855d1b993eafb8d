package dev.meridian.policy.cors;

