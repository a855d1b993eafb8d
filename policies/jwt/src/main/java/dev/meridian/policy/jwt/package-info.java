package dev.meridian.policy.jwt;

