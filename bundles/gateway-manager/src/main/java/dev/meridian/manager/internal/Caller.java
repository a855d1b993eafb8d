package dev.meridian.manager.internal;

/** Who is calling the admin API, once authenticated: a user (a token's name, {@code admin}) and its role. */
record Caller(String user, Role role) {
}
