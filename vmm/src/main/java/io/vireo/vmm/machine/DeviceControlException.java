package io.vireo.vmm.machine;

import java.io.Serial;

/** A control request the machine refused, with a one-sentence message and what kind of refusal it was. */
public final class DeviceControlException extends Exception {
    @Serial
    private static final long serialVersionUID = 1L;

    /** Why: the API maps each to a status (400, 404, 409, 500, 504 ...). */
    public enum Kind {
        /** The request itself is wrong (bad option, bad path). */
        BAD_REQUEST,
        /** No device with that id. */
        NOT_FOUND,
        /** The id is taken, or the machine is not in a state that allows it. */
        CONFLICT,
        /** No free slot on any segment, no I/O or MMIO window left. */
        NO_ROOM,
        /** The guest did not eject the device in time; it stays in place. */
        NOT_EJECTED,
        /** The machine failed to do it (I/O error, KVM refused). */
        FAILED
    }

    private final Kind kind;

    public DeviceControlException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
