package io.vireo.vmm.api;

import io.vireo.vmm.machine.DeviceControlException;

import java.io.Serial;

/** A request the API refuses: the HTTP status and the one sentence that goes in the error body. */
final class ApiException extends Exception {
    @Serial
    private static final long serialVersionUID = 1L;

    private final int status;

    ApiException(int status, String sentence) {
        super(sentence);
        this.status = status;
    }

    int status() {
        return status;
    }

    static ApiException badRequest(String sentence) {
        return new ApiException(400, sentence);
    }

    /**
     * The machine's refusal as a status, as Cloud Hypervisor's API answers: 400 bad request, 404 no such device, 409
     * conflict (duplicate id, or the VM's state forbids it), 500 failure (also no room on the bus), and 504 when the
     * guest did not eject a device in time (it stays in place: the VMM waited on the guest, which did not answer).
     */
    static ApiException of(DeviceControlException e) {
        int status = switch (e.kind()) {
            case BAD_REQUEST -> 400;
            case NOT_FOUND -> 404;
            case CONFLICT -> 409;
            case NOT_EJECTED -> 504;
            case NO_ROOM, FAILED -> 500;
        };
        return new ApiException(status, e.getMessage());
    }
}
