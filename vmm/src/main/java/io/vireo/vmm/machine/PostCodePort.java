package io.vireo.vmm.machine;

import io.vireo.vmm.devices.PioDevice;

/**
 * Port 0x80, the PC POST-code port. Code 0xC3 from the test guest means "now at CPL3"; 0xB0 and 0xB1
 * mark the begin and the end of its timed phase for {@link MachineStats}.
 */
final class PostCodePort implements PioDevice {
    static final int PORT = 0x80;
    static final int CPL3_REACHED = 0xc3;

    private final BootClock clock;
    private final MachineStats marks;

    /** {@code marks}: where window marks go, or null to ignore them (stats off: no work at a mark). */
    PostCodePort(BootClock clock, MachineStats marks) {
        this.clock = clock;
        this.marks = marks;
    }

    @Override
    public int read(int port, int size) {
        return 0;
    }

    @Override
    public void write(int port, int size, int value) {
        int code = value & 0xff;
        if (code == CPL3_REACHED) {
            clock.reachedCpl3();
        } else if (marks != null) {
            if (code == MachineStats.MARK_BEGIN) {
                marks.markBegin();
            } else if (code == MachineStats.MARK_END) {
                marks.markEnd();
            }
        }
    }
}
