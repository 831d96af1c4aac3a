package io.vireo.vmm.machine;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The machine side of {@link DeviceControl}: pause and resume (every vCPU, then every queue agent), the device list,
 * and hot add and remove handed to a {@link Hotplug} (the PCI hotplug controller fills it in; without one both are
 * refused). Control requests are serialised on this object: one at a time, from any thread but a vCPU's or an
 * agent's.
 */
final class MachineControl implements DeviceControl {
    private static final System.Logger LOG = System.getLogger(MachineControl.class.getName());
    /** How long a vCPU may take to leave KVM_RUN, and the agents to finish what is in flight. */
    static final long PAUSE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);

    /** Hot add and remove of devices on a running machine. */
    interface Hotplug {
        /** As {@link DeviceControl#addDisk}; {@code id} is unique and not null here. */
        Added addDisk(String id, DiskConfig disk) throws DeviceControlException;

        /** As {@link DeviceControl#removeDevice}. */
        void removeDevice(String id, long timeoutMs) throws DeviceControlException;

        /** The devices added so far and still present, in bus order. */
        List<DeviceInfo> devices();
    }

    /** Until hot add exists: refuses both with a one-sentence reason. */
    static final Hotplug NONE = new Hotplug() {
        @Override
        public Added addDisk(String id, DiskConfig disk) throws DeviceControlException {
            throw new DeviceControlException(DeviceControlException.Kind.FAILED,
                "hot add is not available in this build");
        }

        @Override
        public void removeDevice(String id, long timeoutMs) throws DeviceControlException {
            throw new DeviceControlException(DeviceControlException.Kind.FAILED, "device " + id
                + " was cold-plugged and hot remove is not available in this build");
        }

        @Override
        public List<DeviceInfo> devices() {
            return List.of();
        }
    };

    private final Machine machine;
    private final VirtioDevices virtio;
    private final List<DeviceInfo> coldPlugged;
    private volatile Hotplug hotplug = NONE;
    private volatile boolean paused;
    private int hotNames;

    MachineControl(Machine machine, VirtioDevices virtio, List<DeviceInfo> coldPlugged) {
        this.machine = machine;
        this.virtio = virtio;
        this.coldPlugged = List.copyOf(coldPlugged);
    }

    /** A disk's options as {@code vm.info} lists them. */
    static Map<String, String> diskOptions(DiskConfig d) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("path", d.name());
        o.put("readonly", d.readOnly() ? "on" : "off");
        if (!d.serial().isEmpty()) {
            o.put("serial", d.serial());
        }
        o.put("backend", d.backend().name().toLowerCase(Locale.ROOT));
        return o;
    }

    /** Set by the builder, before the API starts. */
    void hotplug(Hotplug h) {
        this.hotplug = h;
    }

    @Override
    public List<DeviceInfo> devices() {
        List<DeviceInfo> all = new ArrayList<>(coldPlugged);
        all.addAll(hotplug.devices());
        return all;
    }

    @Override
    public synchronized Added addDisk(String id, DiskConfig disk) throws DeviceControlException {
        checkRunning("add a device");
        String name = id;
        if (name == null) {
            do {
                name = "hotdisk" + hotNames++;
            } while (find(name) != null);
        } else if (find(name) != null) {
            throw new DeviceControlException(DeviceControlException.Kind.CONFLICT, "a device with id " + name
                + " already exists");
        }
        Added added = hotplug.addDisk(name, disk);
        // vm.counters and --stats show it from now on (a source left by a device the guest ejected on its own goes).
        for (VirtioDevices.Attached a : virtio.attached()) {
            if (a.name().equals(added.id())) {
                machine.stats().removeSource(added.id());
                machine.addStatsSource(added.id(), a.stats());
            }
        }
        return added;
    }

    @Override
    public synchronized void removeDevice(String id, long timeoutMs) throws DeviceControlException {
        checkRunning("remove a device");
        if (find(id) == null) {
            throw new DeviceControlException(DeviceControlException.Kind.NOT_FOUND, "no device has id " + id);
        }
        hotplug.removeDevice(id, timeoutMs);
        machine.stats().removeSource(id);
    }

    private DeviceInfo find(String id) {
        for (DeviceInfo d : devices()) {
            if (d.id().equals(id)) {
                return d;
            }
        }
        return null;
    }

    private void checkRunning(String what) throws DeviceControlException {
        if (machine.stopping()) {
            throw new DeviceControlException(DeviceControlException.Kind.CONFLICT, "cannot " + what
                + ": the VM is shutting down");
        }
        if (paused) {
            throw new DeviceControlException(DeviceControlException.Kind.CONFLICT, "cannot " + what
                + ": the VM is paused (resume it first)");
        }
    }

    /** vCPUs first (no new request after that), then the agents (each finishes what it holds, then parks). */
    @Override
    public synchronized void pause() throws DeviceControlException {
        if (paused) {
            throw new DeviceControlException(DeviceControlException.Kind.CONFLICT, "the VM is already paused");
        }
        checkRunning("pause");
        boolean stoppedAll;
        try {
            stoppedAll = machine.pauseVcpus(PAUSE_TIMEOUT_NS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            machine.resumeVcpus();
            throw new DeviceControlException(DeviceControlException.Kind.FAILED, "interrupted while pausing");
        }
        if (!stoppedAll) {
            if (machine.stopping()) {
                throw new DeviceControlException(DeviceControlException.Kind.CONFLICT,
                    "cannot pause: the VM is shutting down");
            }
            throw new DeviceControlException(DeviceControlException.Kind.FAILED, "a vCPU did not leave KVM_RUN within "
                + TimeUnit.NANOSECONDS.toSeconds(PAUSE_TIMEOUT_NS) + " s, so the VM keeps running");
        }
        try {
            int left = virtio.pauseAgents(PAUSE_TIMEOUT_NS);
            if (left > 0) {
                LOG.log(Level.WARNING, "pause: " + left + " request(s) still with the disks' back ends after "
                    + TimeUnit.NANOSECONDS.toSeconds(PAUSE_TIMEOUT_NS) + " s; they complete after the resume");
            }
        } catch (RuntimeException e) {
            virtio.resumeAgents();
            machine.resumeVcpus();
            throw new DeviceControlException(DeviceControlException.Kind.FAILED, "pausing the queue agents failed ("
                + e.getMessage() + "), so the VM keeps running");
        }
        paused = true;
    }

    /** The agents first (a request the guest makes at once is served), then the vCPUs. */
    @Override
    public synchronized void resume() throws DeviceControlException {
        if (!paused) {
            throw new DeviceControlException(DeviceControlException.Kind.CONFLICT, "the VM is not paused");
        }
        virtio.resumeAgents();
        machine.resumeVcpus();
        paused = false;
    }

    @Override
    public String state() {
        return machine.stopping() ? "shutdown" : paused ? "paused" : "running";
    }
}
