package dev.meridian.model;

import dev.meridian.model.DefinitionException.Kind;
import dev.meridian.model.internal.ConsumerValidator;
import dev.meridian.model.internal.DefinitionValidator;
import dev.meridian.model.internal.DefinitionValidator.Checked;
import dev.meridian.model.internal.Jackson;
import dev.meridian.model.internal.Jackson.Documents;
import dev.meridian.model.internal.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads and validates API definitions (CONTRACT §3), reporting every problem with its path. */
public final class DefinitionParser {

  private static final Pattern ALSO = Pattern.compile("\\(also \\[(\\d+)]\\)");

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
   * What {@code POST /api/v1/apply} takes: API definitions (no {@code kind}, or {@code kind:
   * api}) and consumers ({@code kind: consumer}, CONTRACT §8) side by side, in one document or a
   * set, in the order given.
   */
  public record Definitions(List<ApiDefinition> apis, List<ConsumerDefinition> consumers) {

    public Definitions {
      apis = List.copyOf(apis);
      consumers = List.copyOf(consumers);
    }
  }

  /**
   * As {@link #parse}, with consumer documents ({@code kind: consumer}) beside the APIs. Problems
   * carry the element's index in the set, whichever its kind; API ids and basePaths, and consumer
   * ids, must be unique within the set.
   *
   * @throws DefinitionException as {@link #parse}
   */
  public static Definitions parseDefinitions(byte[] body, Format format) throws DefinitionException {
    Objects.requireNonNull(format, "format");
    Documents docs = Jackson.readDefinitions(body, format);
    List<Object> elements = docs.elements();
    List<Problem> shape = new ArrayList<>();
    for (int i = 0; i < elements.size(); i++) {
      if (!(elements.get(i) instanceof Map)) {
        shape.add(new Problem(docs.set() ? Paths.index("", i) : "", "expected a definition object"));
      }
    }
    if (!shape.isEmpty()) {
      throw new DefinitionException(Kind.MALFORMED, shape);
    }
    List<Object> apiDocs = new ArrayList<>();
    List<Integer> apiIndex = new ArrayList<>();
    List<Problem> consumerProblems = new ArrayList<>();
    ConsumerValidator consumers = new ConsumerValidator(consumerProblems);
    List<ConsumerDefinition> parsedConsumers = new ArrayList<>();
    Map<String, Integer> consumerIds = new HashMap<>();
    for (int i = 0; i < elements.size(); i++) {
      Map<?, ?> doc = (Map<?, ?>) elements.get(i);
      if (!ConsumerDefinition.KIND.equals(doc.get("kind"))) {
        apiDocs.add(doc);
        apiIndex.add(i);
        continue;
      }
      String path = docs.set() ? Paths.index("", i) : "";
      int index = i;
      consumers.consumer(doc, path).ifPresent(c -> {
        Integer first = consumerIds.putIfAbsent(c.id(), index);
        if (first != null) {
          consumerProblems.add(new Problem(Paths.field(path, "id"),
              "duplicate consumer id '" + c.id() + "' (also [" + first + "])"));
        } else {
          parsedConsumers.add(c);
        }
      });
    }
    List<Problem> problems = new ArrayList<>();
    List<ApiDefinition> apis = List.of();
    if (!docs.set() && !apiDocs.isEmpty()) {
      try {
        apis = List.of(single(apiDocs.get(0)));
      } catch (DefinitionException e) {
        problems.addAll(e.problems());
      }
    } else if (!apiDocs.isEmpty()) {
      try {
        apis = set(apiDocs);
      } catch (DefinitionException e) {
        // paths name the element of the API-only list: give them back their index in the whole set
        for (Problem p : e.problems()) {
          problems.add(new Problem(reindex(p.path(), apiIndex), reindexAlso(p.message(), apiIndex)));
        }
      }
    }
    problems.addAll(consumerProblems);
    if (!problems.isEmpty()) {
      problems.sort(Comparator.comparingInt(p -> position(p.path())));
      throw new DefinitionException(Kind.INVALID, problems);
    }
    return new Definitions(apis, parsedConsumers);
  }

  /**
   * Exactly one consumer ({@code PUT /api/v1/consumers/{id}}); {@code kind} may be left out.
   *
   * @throws DefinitionException as {@link #parseOne}
   */
  public static ConsumerDefinition parseConsumer(byte[] body, Format format) throws DefinitionException {
    Objects.requireNonNull(format, "format");
    Documents docs = Jackson.readDefinitions(body, format);
    if (docs.set()) {
      throw new DefinitionException(Kind.MALFORMED, "", "expected one consumer, not a set");
    }
    return consumerFromTree(docs.elements().get(0));
  }

  /** A consumer from a JSON tree such as {@link ConsumerDefinition#toTree()} gives. */
  public static ConsumerDefinition consumerFromTree(Object tree) throws DefinitionException {
    if (!(tree instanceof Map<?, ?> map)) {
      throw new DefinitionException(Kind.MALFORMED, "", "expected a consumer object");
    }
    List<Problem> problems = new ArrayList<>();
    return new ConsumerValidator(problems).consumer(map, "")
        .orElseThrow(() -> new DefinitionException(Kind.INVALID, problems));
  }

  private static String reindex(String path, List<Integer> index) {
    if (!path.startsWith("[")) {
      return path;
    }
    int close = path.indexOf(']');
    int i = Integer.parseInt(path.substring(1, close));
    return "[" + index.get(i) + "]" + path.substring(close + 1);
  }

  /** A duplicate's "(also [n])" with n in the whole set. */
  private static String reindexAlso(String message, List<Integer> index) {
    Matcher m = ALSO.matcher(message);
    return m.find() ? message.substring(0, m.start()) + "(also [" + index.get(Integer.parseInt(m.group(1))) + "])"
        + message.substring(m.end()) : message;
  }

  private static int position(String path) {
    if (!path.startsWith("[")) {
      return -1;
    }
    return Integer.parseInt(path.substring(1, path.indexOf(']')));
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
