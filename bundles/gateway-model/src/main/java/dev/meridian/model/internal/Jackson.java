package dev.meridian.model.internal;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.meridian.model.DefinitionException;
import dev.meridian.model.DefinitionException.Kind;
import dev.meridian.model.Durations;
import dev.meridian.model.Format;
import dev.meridian.model.Problem;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/** The bundle's only contact with Jackson: reading documents into JDK trees, writing JSON. */
public final class Jackson {

  /** Parsed documents: one definition, or a set (JSON array, YAML list or YAML stream). */
  public record Documents(List<Object> elements, boolean set) {}

  /** Above the contract's 10 MiB body limit (snakeyaml's default is 3 MB). */
  private static final int YAML_CODE_POINT_LIMIT = 16 * 1024 * 1024;

  // Configured once; Jackson mappers and factories are thread-safe after configuration.
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();
  private static final YAMLMapper YAML = YAMLMapper.builder(yamlFactory())
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
      .build();

  /** Jackson's nested locations: "[Source: REDACTED (...); line: 1, column: 1]". */
  private static final Pattern SOURCE =
      Pattern.compile("\\[Source: .*?; (line: \\d+, column: \\d+)]");

  private Jackson() {}

  private static YAMLFactory yamlFactory() {
    LoaderOptions options = new LoaderOptions();
    options.setCodePointLimit(YAML_CODE_POINT_LIMIT);
    // The builder does not carry the default of EMPTY_STRING_AS_NULL: without it, "key:" with
    // no value and an empty document would read as "" instead of null.
    return YAMLFactory.builder()
        .loaderOptions(options)
        .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL)
        .build();
  }

  /** One JSON value of any shape. */
  public static Object readJson(byte[] body) throws DefinitionException {
    if (body == null || body.length == 0) {
      throw empty();
    }
    JsonNode node;
    try {
      node = JSON.readTree(body);
    } catch (IOException e) {
      throw malformed(e, Format.JSON, "");
    }
    if (node == null || node.isMissingNode()) {
      throw empty();
    }
    return toJdk(node);
  }

  /** The definition documents in {@code body}; elements are not checked for shape here. */
  public static Documents readDefinitions(byte[] body, Format format) throws DefinitionException {
    if (format == Format.JSON) {
      Object tree = readJson(body);
      if (tree instanceof List<?> list) {
        return new Documents(new ArrayList<>(list), true);
      }
      return new Documents(Collections.singletonList(tree), false);
    }
    if (body == null || body.length == 0) {
      throw empty();
    }
    List<Object> docs = new ArrayList<>();
    try (YAMLParser parser = (YAMLParser) YAML.createParser(body);
        MappingIterator<JsonNode> values =
            YAML.readValues(new NoAliasParser(parser), JsonNode.class)) {
      try {
        while (values.hasNextValue()) {
          JsonNode node = values.nextValue();
          if (node != null && !node.isNull() && !node.isMissingNode()) {
            docs.add(toJdk(node));
          }
        }
      } catch (IOException e) {
        throw malformed(e, Format.YAML, docs.isEmpty() ? "" : "[" + docs.size() + "]");
      }
    } catch (IOException e) {
      throw malformed(e, Format.YAML, "");
    }
    if (docs.isEmpty()) {
      throw empty();
    }
    if (docs.size() == 1 && docs.get(0) instanceof List<?> list) {
      return new Documents(new ArrayList<>(list), true);
    }
    return new Documents(docs, docs.size() > 1);
  }

  /** LinkedHashMap, ArrayList, String, Long, Double, Boolean or null. */
  static Object toJdk(JsonNode node) {
    switch (node.getNodeType()) {
      case OBJECT:
        Map<String, Object> map = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : node.properties()) {
          map.put(field.getKey(), toJdk(field.getValue()));
        }
        return map;
      case ARRAY:
        List<Object> list = new ArrayList<>(node.size());
        node.forEach(item -> list.add(toJdk(item)));
        return list;
      case NUMBER:
        if (node.isIntegralNumber() && node.canConvertToLong()) {
          return node.longValue();
        }
        return node.doubleValue();
      case BOOLEAN:
        return node.booleanValue();
      case NULL:
      case MISSING:
        return null;
      default:
        return node.asText();
    }
  }

  // ---- writing ----

  /** Compact or indented UTF-8 JSON for a JDK tree. */
  public static byte[] write(Object tree, boolean pretty) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = JSON.getFactory().createGenerator(out)) {
      if (pretty) {
        g.useDefaultPrettyPrinter();
      }
      write(g, tree);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (pretty) {
      out.write('\n');
    }
    return out.toByteArray();
  }

  private static void write(JsonGenerator g, Object value) throws IOException {
    if (value == null) {
      g.writeNull();
    } else if (value instanceof String s) {
      g.writeString(s);
    } else if (value instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (value instanceof Map<?, ?> map) {
      g.writeStartObject();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (e.getKey() == null) {
          throw new IllegalArgumentException("null key in JSON object");
        }
        g.writeFieldName(e.getKey().toString());
        write(g, e.getValue());
      }
      g.writeEndObject();
    } else if (value instanceof Collection<?> items) {
      g.writeStartArray();
      for (Object item : items) {
        write(g, item);
      }
      g.writeEndArray();
    } else if (value instanceof BigDecimal big) {
      g.writeNumber(big);
    } else if (value instanceof BigInteger big) {
      g.writeNumber(big);
    } else if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      if (!Double.isFinite(d)) {
        throw new IllegalArgumentException("not a finite number: " + d);
      }
      g.writeNumber(d);
    } else if (value instanceof Number n) {
      g.writeNumber(n.longValue());
    } else if (value instanceof Instant instant) {
      g.writeString(DateTimeFormatter.ISO_INSTANT.format(instant));
    } else if (value instanceof Duration duration) {
      g.writeString(Durations.format(duration));
    } else {
      throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON");
    }
  }

  // ---- errors ----

  private static DefinitionException empty() {
    return new DefinitionException(Kind.MALFORMED, "", "empty body");
  }

  private static DefinitionException malformed(IOException e, Format format, String prefix) {
    String what = "malformed " + format;
    String message;
    if (e.getCause() instanceof MarkedYAMLException yaml) {
      Mark mark = yaml.getProblemMark();
      message = what + ": "
          + (yaml.getContext() == null ? "" : yaml.getContext() + ": ")
          + yaml.getProblem()
          + (mark == null ? "" : " (line " + (mark.getLine() + 1)
              + ", column " + (mark.getColumn() + 1) + ")");
    } else if (e instanceof JacksonException je) {
      message = what + ": " + SOURCE.matcher(je.getOriginalMessage()).replaceAll("$1")
          + (je.getLocation() == null || je.getLocation().getLineNr() < 0 ? ""
              : " (line " + je.getLocation().getLineNr()
                  + ", column " + je.getLocation().getColumnNr() + ")");
    } else {
      message = what + ": " + e.getMessage();
    }
    String path = prefix;
    if (e instanceof StreamReadException sre && sre.getProcessor() != null) {
      String inner = path(sre.getProcessor().getParsingContext());
      path = prefix.isEmpty() || inner.isEmpty() ? prefix + inner
          : prefix + (inner.startsWith("[") ? "" : ".") + inner;
    }
    return new DefinitionException(Kind.MALFORMED, path, message);
  }

  /** {@code a.b[2].c} for a parser's current position. */
  private static String path(JsonStreamContext context) {
    Deque<String> parts = new ArrayDeque<>();
    for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
      if (c.inObject() && c.getCurrentName() != null) {
        parts.push("." + c.getCurrentName());
      } else if (c.inArray() && c.getCurrentIndex() >= 0) {
        parts.push("[" + c.getCurrentIndex() + "]");
      }
    }
    String joined = String.join("", parts);
    return joined.startsWith(".") ? joined.substring(1) : joined;
  }
}
