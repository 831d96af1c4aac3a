package io.vireo.vmm.kvm;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A triple fault's register line says when the registers are the x86 reset state (what KVM on AMD SVM leaves after it
 * intercepts a shutdown, seen in the nested lab), and only then.
 */
class VcpuResetStateTest {
    @Test
    void shouldSayTheRegistersAreTheResetState() {
        String note = Vcpu.resetStateNote(0xfff0, 0xf000, 0xffff0000L);
        assertTrue(note.contains("the reset state") && note.contains("lost"), note);
    }

    @Test
    void shouldSayNothingOfAGuestsOwnState() {
        assertEquals("", Vcpu.resetStateNote(0x101455, 0x1b, 0)); // the test guest at CPL3 (PVM keeps it)
        assertEquals("", Vcpu.resetStateNote(0xfff0, 0x10, 0)); // 0xfff0 in a flat code segment
        assertEquals("", Vcpu.resetStateNote(0xfff0, 0xf000, 0xf0000)); // real mode F000:FFF0, not the reset base
    }
}
