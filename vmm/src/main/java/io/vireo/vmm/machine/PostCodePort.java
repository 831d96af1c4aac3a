package io.vireo.vmm.machine;

import io.vireo.vmm.devices.PioDevice;

/** Port 0x80, the PC POST-code port. Code 0xC3 from the test guest means "now at CPL3". */
final class PostCodePort implements PioDevice {
    static final int PORT = 0x80;
    static final int CPL3_REACHED = 0xc3;

    private final BootClock clock;

    PostCodePort(BootClock clock) {
        this.clock = clock;
    }

    @Override
    public int read(int port, int size) {
        return 0;
    }

    @Override
    public void write(int port, int size, int value) {
        if ((value & 0xff) == CPL3_REACHED) {
            clock.reachedCpl3();
        }
    }
}
