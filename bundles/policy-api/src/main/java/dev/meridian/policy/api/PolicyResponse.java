package dev.meridian.policy.api;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/** The response headers and status as a policy sees them in the response phase. */
@ProviderType
public interface PolicyResponse {

    int status();

    Optional<String> header(String name);

    List<String> headers(String name);

    void setHeader(String name, String value);

    void addHeader(String name, String value);

    void removeHeader(String name);
}
