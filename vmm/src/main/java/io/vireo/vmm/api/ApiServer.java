package io.vireo.vmm.api;

import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.SizeLimitHandler;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The control API's server: Jetty's HTTP/1.1 on a Unix-domain socket, on threads of its own.
 *
 * <p>Bounds, so that no client can stall the VM or the API for others: at most {@value #MAX_THREADS} Jetty threads
 * (one selector, one acceptor, the rest handle requests; a slow or silent client holds a connection, not a thread);
 * request bodies of at most {@value #MAX_BODY_BYTES} bytes (413 beyond); an idle connection is closed after
 * {@value #IDLE_TIMEOUT_MS} ms, and after {@value #LIMITED_IDLE_TIMEOUT_MS} ms while {@value #MAX_CONNECTIONS}
 * connections are open (no more are accepted until one closes); actions run one at a time on one control thread,
 * with at most {@value #MAX_QUEUED_ACTIONS} waiting (503 beyond). The vCPUs and queue agents never touch any of it.
 *
 * <p>The socket is owner-only (0600) from its first moment: it is bound inside a fresh directory of mode 0700 beside
 * PATH, its mode set, and only then renamed to PATH. A stale socket at PATH (nobody listening) is replaced; a live one
 * or any other file is an error.
 */
public final class ApiServer implements AutoCloseable {
    public static final int MAX_BODY_BYTES = 64 * 1024;
    static final int MAX_THREADS = 8;
    static final long IDLE_TIMEOUT_MS = 30_000;
    static final int MAX_QUEUED_ACTIONS = 16;
    static final int MAX_CONNECTIONS = 256;
    static final long LIMITED_IDLE_TIMEOUT_MS = 2_000;
    /** sun_path is 108 bytes with its NUL (unix(7)). */
    static final int MAX_PATH_BYTES = 107;
    /** What the staging directory adds to the path while the socket is bound there: {@code .vireo-api.PID.N/s}. */
    static final int STAGING_OVERHEAD = 28;
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;
    /** Held: java.util.logging keeps loggers weakly, and a collected one forgets its level. */
    private static final Logger JETTY_LOG = Logger.getLogger("org.eclipse.jetty");

    private final Server server;
    private final ThreadPoolExecutor control;
    private final Path socket;

    private ApiServer(Server server, ThreadPoolExecutor control, Path socket) {
        this.server = server;
        this.control = control;
        this.socket = socket;
    }

    /** The socket's path. */
    public Path socket() {
        return socket;
    }

    /**
     * Listens on {@code path}. Failures are one sentence naming the path ({@link IllegalArgumentException}: the
     * path is unusable; {@link IllegalStateException}: the server could not start).
     */
    public static ApiServer start(Path path, ApiTarget target) {
        Path socket = checkPath(path);
        Path dir = socket.getParent();
        clearStale(socket);
        // Jetty logs through SLF4J into java.util.logging: its start-up lines are not the user's business.
        JETTY_LOG.setLevel(Level.WARNING);

        Path staging = stagingDirectory(dir);
        Path bound = staging.resolve("s");
        if (bound.toString().getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
            deleteQuietly(staging);
            throw new IllegalArgumentException(path + ": the path is too long for a Unix socket (at most "
                + (MAX_PATH_BYTES - STAGING_OVERHEAD) + " bytes here)");
        }
        QueuedThreadPool pool = new QueuedThreadPool(MAX_THREADS, 2, 60_000);
        pool.setName("vireo-api");
        pool.setDaemon(true);
        pool.setReservedThreads(0);
        Server server = new Server(pool);
        server.addBean(new ScheduledExecutorScheduler("vireo-api-timer", true));
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(false);
        UnixDomainServerConnector connector = new UnixDomainServerConnector(server, 1, 1,
            new HttpConnectionFactory(http));
        connector.setUnixDomainPath(bound);
        connector.setIdleTimeout(IDLE_TIMEOUT_MS);
        connector.setAcceptQueueSize(128);
        server.addConnector(connector);
        // Past MAX_CONNECTIONS open connections Jetty stops accepting (new clients wait in the backlog) and cuts the
        // idle timeout of the open ones, so that clients who hold connections open cannot keep others out for long.
        NetworkConnectionLimit connections = new NetworkConnectionLimit(MAX_CONNECTIONS, connector);
        connections.setEndPointIdleTimeout(LIMITED_IDLE_TIMEOUT_MS);
        server.addBean(connections);
        ThreadPoolExecutor control = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(MAX_QUEUED_ACTIONS),
            r -> Thread.ofPlatform().name("vireo-api-control").daemon(true).unstarted(r));
        SizeLimitHandler limit = new SizeLimitHandler(MAX_BODY_BYTES, -1);
        limit.setHandler(new ApiHandler(target, control));
        server.setHandler(limit);
        server.setErrorHandler(new ApiErrorHandler());
        server.setStopTimeout(1000);
        try {
            server.start();
            Files.setPosixFilePermissions(bound, PosixFilePermissions.fromString("rw-------"));
            Files.move(bound, socket, StandardCopyOption.ATOMIC_MOVE);
        } catch (Exception e) {
            stopQuietly(server);
            control.shutdownNow();
            throw new IllegalStateException(path + ": cannot listen (" + e.getMessage() + ")", e);
        } finally {
            deleteQuietly(bound);
            deleteQuietly(staging);
        }
        return new ApiServer(server, control, socket);
    }

    /**
     * Checks, before anything else is set up, that {@code path} can become the socket: its directory exists, the path
     * fits a Unix socket address, and nothing but a stale socket is there. Returns the absolute path.
     *
     * @throws IllegalArgumentException naming the problem in one sentence
     */
    public static Path checkPath(Path path) {
        Path socket = path.toAbsolutePath().normalize();
        Path dir = socket.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IllegalArgumentException(path + ": directory " + dir + " does not exist");
        }
        if (socket.toString().getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES - STAGING_OVERHEAD) {
            throw new IllegalArgumentException(path + ": the path is too long for a Unix socket (at most "
                + (MAX_PATH_BYTES - STAGING_OVERHEAD) + " bytes here)");
        }
        if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS) && (mode(socket) & S_IFMT) != S_IFSOCK) {
            throw new IllegalArgumentException(path + ": exists and is not a socket");
        }
        return socket;
    }

    private static int mode(Path p) {
        try {
            return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException e) {
            throw new IllegalArgumentException(p + ": exists and cannot be inspected (" + e.getMessage() + ")");
        }
    }

    /** A stale socket goes; a live one, or anything that is not a socket, is an error. */
    private static void clearStale(Path socket) {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if ((mode(socket) & S_IFMT) != S_IFSOCK) {
            throw new IllegalArgumentException(socket + ": exists and is not a socket");
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socket));
            throw new IllegalArgumentException(socket + ": another process is listening on it");
        } catch (IOException refused) {
            deleteQuietly(socket);
        }
    }

    /** A new directory of mode 0700 in {@code dir}, with a short name (the socket path must stay short). */
    private static Path stagingDirectory(Path dir) {
        long pid = ProcessHandle.current().pid();
        for (int i = 0; i < 100; i++) {
            Path p = dir.resolve(".vireo-api." + pid + (i == 0 ? "" : "." + i));
            try {
                return Files.createDirectory(p, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException taken) {
                // next name
            } catch (IOException e) {
                throw new IllegalArgumentException(dir + ": cannot create the socket there (" + e.getMessage() + ")");
            }
        }
        throw new IllegalArgumentException(dir + ": cannot create a private directory for the socket");
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort: a leftover is harmless and reported by nobody
        }
    }

    private static void stopQuietly(Server server) {
        try {
            server.stop();
        } catch (Exception ignored) {
            // already failing; the first error is the one reported
        }
    }

    /** Stops listening, ends every connection and removes the socket. */
    @Override
    public void close() {
        stopQuietly(server);
        control.shutdownNow();
        deleteQuietly(socket);
    }
}
