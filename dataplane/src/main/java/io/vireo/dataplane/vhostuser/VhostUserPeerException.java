package io.vireo.dataplane.vhostuser;

/**
 * The back end a front end talks to failed or answered nonsense: gone (closed, killed), silent past the timeout, a
 * reply of the wrong size, request or flags, features it was not offered. The message is one line naming the socket
 * and what was wrong; the connection is dead after it. Control path only.
 */
public final class VhostUserPeerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public VhostUserPeerException(String message) {
        super(message, null, false, false);
    }
}
