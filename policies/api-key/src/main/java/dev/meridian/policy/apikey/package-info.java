package dev.meridian.policy.apikey;

