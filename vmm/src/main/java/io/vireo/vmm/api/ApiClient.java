package io.vireo.vmm.api;

import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.io.Transport;

import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A client of the control API ({@code vireo ctl}, tests): one request per call over the Unix socket, JSON text in and
 * out. Failures to reach the server are {@link ApiClient.Unreachable} with one sentence; an error status is a
 * {@link Reply} like any other.
 */
public final class ApiClient implements AutoCloseable {
    /** Longer than any action takes (a removal waits at most 20 s for the guest). */
    static final long TIMEOUT_SECONDS = 60;

    /** The status and body of one answer. */
    public record Reply(int status, String body) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    /** The server could not be reached or did not answer. */
    public static final class Unreachable extends Exception {
        private static final long serialVersionUID = 1L;

        Unreachable(String sentence) {
            super(sentence);
        }
    }

    private final Path socket;
    private final HttpClient http;

    private ApiClient(Path socket, HttpClient http) {
        this.socket = socket;
        this.http = http;
    }

    /** A client of the API at {@code socket} (nothing is connected until the first request). */
    public static ApiClient of(Path socket) {
        HttpClient http = new HttpClient();
        http.setName("vireo-ctl");
        return new ApiClient(socket, http);
    }

    /** {@code GET /api/v1/ENDPOINT}. */
    public Reply get(String endpoint) throws Unreachable {
        return send(request(endpoint).method("GET"));
    }

    /** {@code PUT /api/v1/ENDPOINT} with {@code json} as the body (null: none). */
    public Reply put(String endpoint, String json) throws Unreachable {
        Request r = request(endpoint).method("PUT");
        if (json != null) {
            r.body(new StringRequestContent("application/json", json));
        }
        return send(r);
    }

    /** Starts the HTTP client at the first request, once there is a socket to talk to (a missing one fails fast). */
    private Request request(String endpoint) throws Unreachable {
        if (!Files.exists(socket)) {
            throw new Unreachable(why(null));
        }
        if (!http.isStarted()) {
            try {
                http.start();
            } catch (Exception e) {
                throw new IllegalStateException("cannot start the HTTP client: " + e.getMessage(), e);
            }
        }
        return http.newRequest("http://localhost" + Endpoint.PREFIX + endpoint)
            .transport(new Transport.TCPUnix(socket)).timeout(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    private Reply send(Request r) throws Unreachable {
        try {
            ContentResponse c = r.send();
            return new Reply(c.getStatus(), c.getContentAsString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unreachable("interrupted");
        } catch (TimeoutException e) {
            throw new Unreachable(socket + ": no answer in " + TIMEOUT_SECONDS + " s");
        } catch (ExecutionException e) {
            throw new Unreachable(why(e.getCause()));
        }
    }

    private String why(Throwable cause) {
        if (!Files.exists(socket)) {
            return socket + ": no such socket (is a VMM running with --api-socket " + socket + "?)";
        }
        if (cause instanceof ConnectException || cause instanceof NoSuchFileException) {
            return socket + ": connection refused (no VMM is listening there)";
        }
        String m = cause == null ? "unknown error" : String.valueOf(cause.getMessage());
        return socket + ": " + m.lines().findFirst().orElse(m);
    }

    @Override
    public void close() {
        try {
            http.stop();
        } catch (Exception ignored) {
            // the process ends anyway; nothing to report
        }
    }
}
