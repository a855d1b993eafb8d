package dev.meridian.model;

import dev.meridian.model.DefinitionException.Kind;
import dev.meridian.model.internal.DefinitionValidator;
import dev.meridian.model.internal.DefinitionValidator.Checked;
import dev.meridian.model.internal.Jackson;
import dev.meridian.model.internal.Jackson.Documents;
import dev.meridian.model.internal.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Reads and validates API definitions (CONTRACT §3), reporting every problem with its path. */
public final class DefinitionParser {

  private DefinitionParser() {}

  /**
   * One definition (a JSON object, one YAML document) or a set (a JSON array, a YAML
   * multi-document stream or a YAML list). Problems inside element {@code i} of a set carry the
   * path prefix {@code [i].}; ids and basePaths must be unique within a set. Empty YAML
   * documents in a stream are skipped.
   *
   * @throws DefinitionException MALFORMED for an empty body, unparseable text or a wrong
   *     top-level shape; INVALID, listing every problem, when the schema is broken
   */
  public static List<ApiDefinition> parse(byte[] body, Format format) throws DefinitionException {
    Objects.requireNonNull(format, "format");
    Documents docs = Jackson.readDefinitions(body, format);
    return docs.set() ? set(docs.elements()) : List.of(single(docs.elements().get(0)));
  }

  /**
   * Exactly one definition.
   *
   * @throws DefinitionException as {@link #parse}, and MALFORMED when the body is a set
   */
  public static ApiDefinition parseOne(byte[] body, Format format) throws DefinitionException {
    Objects.requireNonNull(format, "format");
    Documents docs = Jackson.readDefinitions(body, format);
    if (docs.set()) {
      throw new DefinitionException(Kind.MALFORMED, "", "expected one definition, not a set");
    }
    return single(docs.elements().get(0));
  }

  /**
   * One JSON or YAML document as JDK values (maps, lists, strings, numbers, booleans), for
   * request bodies that are not definitions (a cache invalidation, say).
   *
   * @throws DefinitionException MALFORMED for an empty or unparseable body, or several documents
   */
  public static Object readTree(byte[] body, Format format) throws DefinitionException {
    Objects.requireNonNull(format, "format");
    Documents docs = Jackson.readDefinitions(body, format);
    if (docs.elements().size() != 1) {
      throw new DefinitionException(Kind.MALFORMED, "", "expected one document");
    }
    return docs.elements().get(0);
  }

  /**
   * A definition from a JSON tree such as {@link ApiDefinition#toTree()} gives, or {@link
   * Json#read} of its JSON; used to reload stored revisions.
   */
  public static ApiDefinition fromTree(Object tree) throws DefinitionException {
    return single(tree);
  }

  private static ApiDefinition single(Object doc) throws DefinitionException {
    if (!(doc instanceof Map<?, ?> map)) {
      throw new DefinitionException(Kind.MALFORMED, "",
          "expected a definition object or a list of definitions");
    }
    DefinitionValidator validator = new DefinitionValidator();
    Checked checked = validator.definition(map, "");
    return checked.definition()
        .orElseThrow(() -> new DefinitionException(Kind.INVALID, validator.problems()));
  }

  private static List<ApiDefinition> set(List<Object> elements) throws DefinitionException {
    List<Problem> shape = new ArrayList<>();
    for (int i = 0; i < elements.size(); i++) {
      if (!(elements.get(i) instanceof Map)) {
        shape.add(new Problem(Paths.index("", i), "expected a definition object"));
      }
    }
    if (!shape.isEmpty()) {
      throw new DefinitionException(Kind.MALFORMED, shape);
    }
    DefinitionValidator validator = new DefinitionValidator();
    Map<String, Integer> ids = new HashMap<>();
    Map<String, Integer> basePaths = new HashMap<>();
    List<ApiDefinition> definitions = new ArrayList<>();
    for (int i = 0; i < elements.size(); i++) {
      String path = Paths.index("", i);
      Checked checked = validator.definition((Map<?, ?>) elements.get(i), path);
      int index = i;
      checked.id().ifPresent(id -> {
        Integer first = ids.putIfAbsent(id, index);
        if (first != null) {
          validator.report(Paths.field(path, "id"),
              "duplicate id '" + id + "' (also [" + first + "])");
        }
      });
      checked.basePath().ifPresent(basePath -> {
        Integer first = basePaths.putIfAbsent(basePath, index);
        if (first != null) {
          validator.report(Paths.field(path, "basePath"),
              "duplicate basePath '" + basePath + "' (also [" + first + "])");
        }
      });
      checked.definition().ifPresent(definitions::add);
    }
    if (!validator.problems().isEmpty()) {
      throw new DefinitionException(Kind.INVALID, validator.problems());
    }
    return List.copyOf(definitions);
  }
}
