package dev.meridian.model;

import java.util.List;
import java.util.Objects;

/**
 * Another shape of an API (CONTRACT §8 {@code shapes}): the upstream its share of the traffic
 * goes to and the policies that run for it after the API's own.
 *
 * @param upstream where this shape's requests go, validated as the API's {@code upstream}
 * @param policies run after the API's policies (which every shape shares: they identify the
 *     consumer the split is sticky by), in this order; response phases in reverse, before the API's
 */
public record Shape(Upstream upstream, List<PolicySpec> policies) {

  public Shape {
    Objects.requireNonNull(upstream, "upstream");
    policies = List.copyOf(policies);
  }
}
