package dev.meridian.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The {@code split} and {@code shapes} part of {@link ApiDefinition#toTree()}. */
final class SplitTrees {

  private SplitTrees() {}

  /**
   * Adds {@code split} {stickyBy, to [{shape, weight}]} and {@code shapes} {name: {upstream,
   * policies (if any)}} to {@code tree} when the API has them. A shape's upstream and policies are
   * written exactly as the API's own are: each is the tree of the API with the shape's upstream
   * and policies in place of its own.
   */
  static void put(ApiDefinition api, Map<String, Object> tree) {
    if (!api.split().isNone()) {
      Map<String, Object> split = new LinkedHashMap<>();
      split.put("stickyBy", api.split().stickyByText());
      List<Object> to = new ArrayList<>();
      for (Split.Share share : api.split().to()) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("shape", share.shape());
        entry.put("weight", Split.formatWeight(share.basisPoints()));
        to.add(entry);
      }
      split.put("to", to);
      tree.put("split", split);
    }
    if (!api.shapes().isEmpty()) {
      Map<String, Object> shapes = new LinkedHashMap<>();
      api.shapes().forEach((name, shape) -> {
        Map<String, Object> own = new ApiDefinition(api.id(), api.basePath(), api.methods(), shape.upstream(),
            shape.policies(), Map.of()).toTree();
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("upstream", own.get("upstream"));
        if (own.containsKey("policies")) {
          entry.put("policies", own.get("policies"));
        }
        shapes.put(name, entry);
      });
      tree.put("shapes", shapes);
    }
  }
}
