package io.vireo.vmm.api;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Errors Jetty itself answers (an unparsable request line, headers too large, a body over the limit, a request cut
 * short) in the API's form: {@code {"error": "one sentence"}}, never an HTML page or a stack trace.
 */
final class ApiErrorHandler extends ErrorHandler {
    ApiErrorHandler() {
        setShowStacks(false);
        setShowCauses(false);
    }

    /** Every method gets its error body (Jetty's default gives PUT none). */
    @Override
    public boolean errorPageForMethod(String method) {
        return true;
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(ApiJson.error(sentence(code, message)).getBytes(StandardCharsets.UTF_8)),
            callback);
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        return ByteBuffer.wrap(ApiJson.error(sentence(status, reason)).getBytes(StandardCharsets.UTF_8));
    }

    static String sentence(int code, String message) {
        if (code == HttpStatus.PAYLOAD_TOO_LARGE_413) {
            return "the request body is larger than " + ApiServer.MAX_BODY_BYTES + " bytes";
        }
        String why = message == null || message.isBlank() ? HttpStatus.getMessage(code) : message;
        return (code < 500 ? "bad request (" : "the API failed (") + code + ": " + why.lines().findFirst().orElse("")
            + ")";
    }
}
