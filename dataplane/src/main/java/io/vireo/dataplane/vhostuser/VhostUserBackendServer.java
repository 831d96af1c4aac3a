package io.vireo.dataplane.vhostuser;

import io.vireo.dataplane.virtio.agent.PolledDevice;
import io.vireo.dataplane.agent.QueueAgent;
import io.vireo.sys.Errno;
import io.vireo.sys.Libc;
import io.vireo.sys.Sockets;
import io.vireo.sys.SysException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The back end side of vhost-user on one UNIX socket: serves a {@link PolledDevice} whose queues belong to
 * {@link QueueAgent}s (already started) to one front end at a time. When a front end goes away (closed, killed), its
 * session drains and stops the rings and releases its mappings and fds, and the next connection is accepted on the
 * same socket. Device-agnostic: what the device is (blk, net) is the {@link PolledDevice}'s business.
 *
 * <p>{@link #bind} creates the socket (refusing a path another server answers on, a missing directory, or a file that
 * is not a socket), {@link #start} serves on a thread of its own, {@link #close} ends the session and the server.
 */
public final class VhostUserBackendServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(VhostUserBackendServer.class.getName());

    private final Path socket;
    private final PolledDevice device;
    private final QueueAgent[] owners;
    private final Consumer<String> log;
    private final AtomicLong sessions = new AtomicLong();
    private final AtomicLong refusals = new AtomicLong();
    private final AtomicLong messages = new AtomicLong();
    private volatile int listenFd = -1;
    private volatile int connFd = -1;
    private volatile boolean stopping;
    private Thread thread;

    /**
     * @param owners the agent of each queue of {@code device}
     * @param log    where refusals and session changes go, one line each (null: the platform logger)
     */
    public VhostUserBackendServer(Path socket, PolledDevice device, QueueAgent[] owners, Consumer<String> log) {
        if (owners.length != device.queueCount()) {
            throw new IllegalArgumentException("one owner per queue: queues=" + device.queueCount() + ", owners="
                + owners.length);
        }
        this.socket = socket;
        this.device = device;
        this.owners = owners.clone();
        this.log = log != null ? log : line -> LOG.log(System.Logger.Level.WARNING, line);
    }

    public Path socket() {
        return socket;
    }

    /** Front ends served so far (the one being served included). */
    public long sessions() {
        return sessions.get();
    }

    /** Messages refused so far, over every session. */
    public long refusals() {
        return refusals.get();
    }

    /** Messages handled, over every finished session. */
    public long messages() {
        return messages.get();
    }

    /**
     * Creates and listens on the socket. A stale socket file (nobody answers) is replaced.
     *
     * @throws IllegalArgumentException with a one-line reason for a path that cannot be used
     */
    public void bind() {
        Path dir = socket.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("--socket " + socket + ": directory " + dir + " does not exist");
        }
        if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            replaceStale();
        }
        int fd = Sockets.socketUnix(Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC);
        try {
            Sockets.bindUnix(fd, socket.toString());
            Sockets.listen(fd, 1);
        } catch (SysException | IllegalArgumentException e) {
            Libc.closeQuietly(fd);
            throw new IllegalArgumentException("--socket " + socket + ": cannot listen there ("
                + e.getMessage() + ")");
        }
        listenFd = fd;
    }

    private void replaceStale() {
        try {
            BasicFileAttributes a = Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isOther()) {
                throw new IllegalArgumentException("--socket " + socket + ": exists and is not a socket");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int probe = Sockets.socketUnix(Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC);
        try {
            Sockets.connectUnix(probe, socket.toString());
            throw new IllegalArgumentException("--socket " + socket + ": in use (a server answers there)");
        } catch (SysException e) {
            if (e.errno() != Errno.ECONNREFUSED) {
                throw new IllegalArgumentException("--socket " + socket + ": cannot probe it (" + e.getMessage()
                    + ")");
            }
        } finally {
            Libc.closeQuietly(probe);
        }
        try {
            Files.delete(socket);
        } catch (IOException e) {
            throw new IllegalArgumentException("--socket " + socket + ": cannot replace the stale socket ("
                + e.getMessage() + ")");
        }
    }

    /** Serves front ends on a new platform thread until {@link #close}. */
    public synchronized void start() {
        if (listenFd < 0) {
            bind();
        }
        thread = Thread.ofPlatform().name("vireo-vhost-user").daemon(true).start(this::serve);
    }

    /** The accept loop: one session at a time, each to its end. */
    public void serve() {
        while (!stopping) {
            int fd = Sockets.accept4Raw(listenFd, Sockets.SOCK_CLOEXEC);
            if (fd < 0) {
                if (stopping) {
                    return;
                }
                if (fd == -Errno.EINTR || fd == -Errno.ECONNABORTED) {
                    continue;
                }
                log.accept("vhost-user: accept on " + socket + " failed: " + Errno.name(-fd) + "; stopping");
                return;
            }
            connFd = fd;
            if (stopping) {
                Libc.closeQuietly(fd);
                return;
            }
            sessions.incrementAndGet();
            log.accept("vhost-user: front end connected on " + socket);
            VhostUserBackendSession s = new VhostUserBackendSession(fd, device, owners, line -> {
                refusals.incrementAndGet();
                log.accept(line);
            });
            try {
                s.run();
            } catch (RuntimeException e) {
                // A bug, not peer input (that is refused): the session is closed, the server goes on. The line goes
                // to the server's log too, so a caller (the fuzz suite) sees it.
                log.accept("vhost-user: session failed (a bug): " + e);
                LOG.log(System.Logger.Level.ERROR, "vhost-user: session failed", e);
            } finally {
                connFd = -1;
                messages.addAndGet(s.messages());
            }
            log.accept("vhost-user: front end gone from " + socket + " (" + s.messages() + " messages); rings "
                + "stopped, memory released");
        }
    }

    /** Ends the session (its rings drained) and the server, and removes the socket file. */
    @Override
    public void close() {
        stopping = true;
        int c = connFd;
        if (c >= 0) {
            Sockets.shutdownRaw(c, Sockets.SHUT_RDWR);
        }
        int l = listenFd;
        if (l >= 0) {
            // Wakes a blocked accept4 (EINVAL) on Linux.
            Sockets.shutdownRaw(l, Sockets.SHUT_RDWR);
        }
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (l >= 0) {
            Libc.closeQuietly(l);
            listenFd = -1;
            try {
                Files.deleteIfExists(socket);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "vhost-user: cannot remove " + socket + ": " + e.getMessage());
            }
        }
    }
}
