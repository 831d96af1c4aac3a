package io.vireo.vmm.machine;

import java.util.List;
import java.util.Map;

/**
 * What a running machine offers a control plane (the API socket, an embedder): its devices, hot add and hot remove,
 * pause and resume. The API maps {@link DeviceControlException.Kind} to HTTP statuses; the machine knows nothing of
 * HTTP.
 */
public interface DeviceControl {
    /** One device as {@code vm.info} lists it. */
    record DeviceInfo(String id, String type, String bdf, Map<String, String> options) {
        public DeviceInfo {
            options = Map.copyOf(options);
        }
    }

    /** A device placed on the bus: its id and PCI address, {@code SSSS:BB:DD.F}. */
    record Added(String id, String bdf) {
    }

    /** Every device, cold- and hot-plugged, in bus order. */
    List<DeviceInfo> devices();

    /**
     * Creates a virtio-blk device for {@code disk}, places it in a free slot (of any segment) and tells the guest.
     * {@code id} null: the machine names it. Returns when the device is on the bus, not when the guest has bound it.
     */
    Added addDisk(String id, DiskConfig disk) throws DeviceControlException;

    /**
     * Asks the guest to eject {@code id} and waits up to {@code timeoutMs} for its {@code _EJ0}; then the device's
     * queues are stopped (in-flight requests finished) and everything it holds is closed. A guest that does not eject
     * in time leaves the device fully in place and this throws {@link DeviceControlException.Kind#NOT_EJECTED}.
     */
    void removeDevice(String id, long timeoutMs) throws DeviceControlException;

    /** Stops every vCPU and queue agent with no request lost (in-flight requests complete first). */
    void pause() throws DeviceControlException;

    /** Restarts what {@link #pause()} stopped. */
    void resume() throws DeviceControlException;

    /** {@code running} or {@code paused}; {@code shutdown} once the run is ending. */
    String state();
}
