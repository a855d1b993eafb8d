package dev.meridian.model.internal;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.util.JsonParserDelegate;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;

/**
 * Jackson's YAML tree reader turns an alias ({@code *name}) into the string {@code "name"}
 * instead of the anchored value; refuse aliases rather than silently misread them.
 */
final class NoAliasParser extends JsonParserDelegate {

  private final YAMLParser yaml;

  NoAliasParser(YAMLParser yaml) {
    super(yaml);
    this.yaml = yaml;
  }

  @Override
  public JsonToken nextToken() throws IOException {
    JsonToken token = super.nextToken();
    if (yaml.isCurrentAlias()) {
      throw new JsonParseException(this, "YAML aliases (*" + yaml.getText() + ") are not supported");
    }
    return token;
  }

  @Override
  public JsonToken nextValue() throws IOException {
    JsonToken token = nextToken();
    return token == JsonToken.FIELD_NAME ? nextToken() : token;
  }

  @Override
  public String nextFieldName() throws IOException {
    return nextToken() == JsonToken.FIELD_NAME ? currentName() : null;
  }

  @Override
  public boolean nextFieldName(SerializableString name) throws IOException {
    return nextToken() == JsonToken.FIELD_NAME && name.getValue().equals(currentName());
  }

  @Override
  public String nextTextValue() throws IOException {
    return nextToken() == JsonToken.VALUE_STRING ? getText() : null;
  }

  @Override
  public JsonParser skipChildren() throws IOException {
    if (currentToken() != JsonToken.START_OBJECT && currentToken() != JsonToken.START_ARRAY) {
      return this;
    }
    int open = 1;
    while (open > 0) {
      JsonToken t = nextToken();
      if (t == null) {
        return this;
      }
      if (t.isStructStart()) {
        open++;
      } else if (t.isStructEnd()) {
        open--;
      }
    }
    return this;
  }
}
