package io.vireo.vmm.devices;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** DebugExitPort, ResetControl, I8042 and AcpiPm, driven through a bus as a vCPU would. */
class PlatformPortsTest {
    private RecordingControl control;
    private PortIoBus bus;

    @BeforeEach
    void setUp() {
        control = new RecordingControl();
        bus = new PortIoBus();
        bus.register(DebugExitPort.PORT, DebugExitPort.LENGTH, DebugExitPort.isaDebugExit(control));
        bus.register(ResetControl.PORT, ResetControl.LENGTH, new ResetControl(control));
        I8042 i8042 = new I8042(control);
        bus.register(I8042.DATA_PORT, 1, i8042);
        bus.register(I8042.COMMAND_PORT, 1, i8042);
        bus.register(AcpiPm.BASE, AcpiPm.LENGTH, new AcpiPm(control));
    }

    @Test
    void shouldExitWithOddStatusWhenDebugExitWritten() {
        bus.write(0xf4, 1, 3);
        assertEquals(List.of("debugExit:7"), control.events);
        assertEquals(0, bus.read(0xf4, 4));
    }

    @Test
    void shouldExitWith255WhenValueIs0x7f() {
        bus.write(0xf4, 4, 0x7f);
        assertEquals(List.of("debugExit:255"), control.events);
    }

    @Test
    void shouldResetWhenCf9WrittenWithSysRst() {
        bus.write(0xcf9, 1, 0x02);
        assertEquals(List.of(), control.events);
        assertEquals(0x02, bus.read(0xcf9, 1));
        bus.write(0xcf9, 1, 0x06);
        assertEquals(List.of("reset:0xcf9"), control.events);
    }

    @Test
    void shouldResetWhenI8042GetsPulseCommand() {
        bus.write(0x64, 1, 0xfe);
        assertEquals(List.of("reset:i8042"), control.events);
    }

    @Test
    void shouldReportEmptyStatusAndAnswerSelfTest() {
        assertEquals(0, bus.read(0x64, 1));
        assertEquals(0, bus.read(0x60, 1));

        bus.write(0x64, 1, 0xaa);

        assertEquals(1, bus.read(0x64, 1) & 1, "OBF");
        assertEquals(0x55, bus.read(0x60, 1));
        assertEquals(0, bus.read(0x64, 1));
    }

    @Test
    void shouldRoundTripCommandByteAndTrackPortDisables() {
        bus.write(0x64, 1, 0x20);
        assertEquals(I8042.CTR_DEFAULT, bus.read(0x60, 1));
        bus.write(0x64, 1, 0x60);
        bus.write(0x60, 1, 0x65);
        bus.write(0x64, 1, 0xad);
        bus.write(0x64, 1, 0x20);
        assertEquals(0x65 | I8042.CTR_KBD_DISABLED, bus.read(0x60, 1));
        bus.write(0x64, 1, 0xae);
        bus.write(0x64, 1, 0x20);
        assertEquals(0x65 & ~I8042.CTR_KBD_DISABLED, bus.read(0x60, 1));
        assertEquals(List.of(), control.events);
    }

    @Test
    void shouldDropKeyboardBytesAndAnswerPortTests() {
        bus.write(0x60, 1, 0xf2); // "identify keyboard": nobody is there
        assertEquals(0, bus.read(0x64, 1));
        bus.write(0x64, 1, 0xab);
        assertEquals(0x00, bus.read(0x60, 1));
        bus.write(0x64, 1, 0xa9);
        assertEquals(0x01, bus.read(0x60, 1));
        bus.write(0x64, 1, 0xd4);
        bus.write(0x60, 1, 0xff); // a byte for the absent mouse
        assertEquals(0, bus.read(0x64, 1));
    }

    @Test
    void shouldResetWhenOutputPortResetLineDriven() {
        bus.write(0x64, 1, 0xd1);
        bus.write(0x60, 1, 0xfe);
        assertEquals(List.of("reset:i8042"), control.events);
    }

    @Test
    void shouldPowerOffWhenSlpTyp5WithSlpEn() {
        int slpTyp5 = 5 << 10;
        bus.write(0x604, 2, slpTyp5); // ACPICA writes SLP_TYP first...
        assertEquals(List.of(), control.events);
        bus.write(0x604, 2, slpTyp5 | 1 << 13); // ...then SLP_TYP with SLP_EN
        assertEquals(List.of("powerOff"), control.events);
    }

    @Test
    void shouldPowerOffWhenHighByteWrittenAlone() {
        bus.write(0x605, 1, (5 << 2) | (1 << 5));
        assertEquals(List.of("powerOff"), control.events);
    }

    @Test
    void shouldIgnoreOtherSleepTypes() {
        bus.write(0x604, 2, 3 << 10 | 1 << 13);
        assertEquals(List.of(), control.events);
    }

    @Test
    void shouldReadSciEnSetAndSlpEnClear() {
        assertEquals(1, bus.read(0x604, 2) & 1);
        bus.write(0x604, 2, 0);
        assertEquals(1, bus.read(0x604, 2));
        bus.write(0x604, 2, 2 << 10);
        assertEquals(2 << 10 | 1, bus.read(0x604, 2));
    }

    @Test
    void shouldKeepEnableAndClearStatusByWritingOnes() {
        bus.write(0x602, 2, 0x0120);
        assertEquals(0x0120, bus.read(0x602, 2));
        assertEquals(0x01200000, bus.read(0x600, 4), "PM1_EVT as one dword: status low, enable high");
        bus.write(0x600, 2, 0xffff);
        assertEquals(0, bus.read(0x600, 2));
        assertEquals(0, bus.read(0x606, 2));
    }
}
