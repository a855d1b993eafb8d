package dev.meridian.policy.introspection;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.util.Optional;

final class IntrospectionAnswer {
   private static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).maxStringLength(65536).build())
      .build();

   private IntrospectionAnswer() {
   }

   static Optional<TokenInfo> parse(byte[] body, long fetchedAt) {
      Boolean active = null;
      String sub = "";
      String clientId = "";
      String username = "";
      String scope = "";
      long exp = 0L;
      long iat = 0L;

      try {
         JsonParser p = JSON.createParser(body);

         label164: {
            Optional var22;
            label165: {
               Optional var18;
               label166: {
                  Optional var24;
                  label167: {
                     Optional var23;
                     try {
                        if (p.nextToken() != JsonToken.START_OBJECT) {
                           var22 = Optional.empty();
                           break label165;
                        }

                        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                           String name = p.currentName();
                           JsonToken v = p.nextToken();
                           switch (name) {
                              case "active":
                                 if (!v.isBoolean()) {
                                    var18 = Optional.empty();
                                    break label166;
                                 }

                                 active = v == JsonToken.VALUE_TRUE;
                                 break;
                              case "sub":
                                 sub = string(p, v);
                                 break;
                              case "client_id":
                                 clientId = string(p, v);
                                 break;
                              case "username":
                                 username = string(p, v);
                                 break;
                              case "scope":
                                 scope = string(p, v);
                                 break;
                              case "exp":
                                 exp = seconds(p, v);
                                 break;
                              case "iat":
                                 iat = seconds(p, v);
                                 break;
                              default:
                                 p.skipChildren();
                           }

                           if (sub == null || clientId == null || username == null || scope == null || exp < 0L || iat < 0L) {
                              var24 = Optional.empty();
                              break label167;
                           }
                        }

                        if (t == JsonToken.END_OBJECT && p.nextToken() == null && active != null) {
                           break label164;
                        }

                        var23 = Optional.empty();
                     } catch (Throwable var20) {
                        if (p != null) {
                           try {
                              p.close();
                           } catch (Throwable var19) {
                              var20.addSuppressed(var19);
                           }
                        }

                        throw var20;
                     }

                     if (p != null) {
                        p.close();
                     }

                     return var23;
                  }

                  if (p != null) {
                     p.close();
                  }

                  return var24;
               }

               if (p != null) {
                  p.close();
               }

               return var18;
            }

            if (p != null) {
               p.close();
            }

            return var22;
         }

         if (p != null) {
            p.close();
         }
      } catch (IOException e) {
         return Optional.empty();
      }

      return Optional.of(active ? new TokenInfo(true, sub, clientId, username, scope, exp, iat, fetchedAt) : TokenInfo.inactive(fetchedAt));
   }

   private static String string(JsonParser p, JsonToken v) throws IOException {
      if (v == JsonToken.VALUE_NULL) {
         return "";
      } else {
         return v == JsonToken.VALUE_STRING ? p.getText() : null;
      }
   }

   private static long seconds(JsonParser p, JsonToken v) throws IOException {
      if (v == JsonToken.VALUE_NULL) {
         return 0L;
      }

      if (v != JsonToken.VALUE_NUMBER_INT && v != JsonToken.VALUE_NUMBER_FLOAT) {
         return -1L;
      }

      double d = p.getDoubleValue();
      return d >= 0.0 && d < 1.0E13 ? (long)d : -1L;
   }
}
