package dev.meridian.policy.ipfilter;

