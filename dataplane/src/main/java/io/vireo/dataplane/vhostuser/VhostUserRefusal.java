package io.vireo.dataplane.vhostuser;

/**
 * A front end's message the back end refuses (bad size, index, address, fd, feature...): the message is answered
 * with a failure where the protocol allows one, logged in one line, and the session goes on. Control path only.
 */
final class VhostUserRefusal extends RuntimeException {
    private static final long serialVersionUID = 1L;

    VhostUserRefusal(String message) {
        super(message, null, false, false);
    }
}
