package io.vireo.vmm.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.jr.ob.JSON;

import java.io.IOException;
import java.util.Map;

/** JSON in and out of the API: one object per body, strict (no trailing tokens, no duplicate keys). */
final class ApiJson {
    private static final JsonFactory FACTORY = new JsonFactory();
    private static final JSON IN = JSON.std.with(JSON.Feature.FAIL_ON_DUPLICATE_MAP_KEYS, true)
        .with(JSON.Feature.PRESERVE_FIELD_ORDERING, true);
    private static final JSON OUT = JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT, true);
    private static final int MAX_DETAIL = 120;

    private ApiJson() {
    }

    /** {@code value} as JSON text, with a final newline (curl prints it as it comes). */
    static String write(Object value) {
        try {
            return OUT.asString(value) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a JSON response: " + e.getMessage(), e);
        }
    }

    /** {@code {"error": sentence}} with a final newline. */
    static String error(String sentence) {
        return write(Map.of("error", sentence));
    }

    /** The body as one JSON object; anything else is an {@link ApiException} 400 naming what is wrong. */
    static Map<String, Object> object(byte[] body) throws ApiException {
        Object value;
        try (JsonParser p = FACTORY.createParser(body)) {
            value = IN.anyFrom(p);
            if (p.nextToken() != null) {
                throw ApiException.badRequest("the body has more after its JSON value (at character "
                    + p.currentLocation().getCharOffset() + ")");
            }
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("the body is not valid JSON in UTF-8 (" + detail(e) + ")");
        } catch (IOException e) {
            throw ApiException.badRequest("the body cannot be read as JSON (" + e.getMessage() + ")");
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw ApiException.badRequest("the body must be a JSON object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) map;
        return m;
    }

    /** Jackson's message without its source excerpt, one line, short, with where it stopped. */
    private static String detail(JsonProcessingException e) {
        String m = e.getOriginalMessage() == null ? "syntax error" : e.getOriginalMessage().lines().findFirst()
            .orElse("syntax error");
        if (m.length() > MAX_DETAIL) {
            m = m.substring(0, MAX_DETAIL) + "...";
        }
        return e.getLocation() == null ? m : m + " at line " + e.getLocation().getLineNr() + ", column "
            + e.getLocation().getColumnNr();
    }
}
