package io.vireo.vmm.pci;

import io.vireo.vmm.acpi.Aml;
import io.vireo.vmm.acpi.AmlReader;
import io.vireo.vmm.acpi.Dsdt;
import io.vireo.vmm.devices.AcpiGpe;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The ACPI PCI hotplug registers, the GPE that signals them, and the AML the guest runs against them. */
class PciHotplugControllerTest {
    private static final int BASE = PciHotplugController.PORT;

    private final List<int[]> ejected = new ArrayList<>();
    private final List<Boolean> sci = new ArrayList<>();
    private final AcpiGpe gpe = new AcpiGpe(sci::add);
    private final PciHotplugController c = new PciHotplugController(2, (s, slot) -> ejected.add(new int[] {s, slot}),
        () -> gpe.raise(AcpiGpe.PCI_HOTPLUG));

    @Test
    void shouldReportAddsPerSegmentAndClearThemOnRead() {
        gpe.write(AcpiGpe.BASE + 2, 1, 1 << AcpiGpe.PCI_HOTPLUG); // the OS enables GPE 1 (_E01 exists)
        c.requestAdd(1, 5);
        assertEquals(List.of(true), sci, "the SCI rises with the enabled GPE");
        assertEquals(1 << AcpiGpe.PCI_HOTPLUG, gpe.read(AcpiGpe.BASE, 1));

        assertEquals(0, c.read(BASE + PciHotplugController.PCIU, 4), "segment 0 has nothing");
        c.write(BASE + PciHotplugController.PSEG, 4, 1);
        assertEquals(1, c.read(BASE + PciHotplugController.PSEG, 4));
        assertEquals(1 << 5, c.read(BASE + PciHotplugController.PCIU, 4));
        assertEquals(0, c.read(BASE + PciHotplugController.PCIU, 4), "cleared by the read");

        gpe.write(AcpiGpe.BASE, 1, 1 << AcpiGpe.PCI_HOTPLUG); // the OS clears the status
        assertEquals(List.of(true, false), sci);
        assertFalse(gpe.sciAsserted());
    }

    @Test
    void shouldAskForEjectAndHandTheGuestsEjectToTheEjector() {
        c.requestRemove(0, 3);
        assertEquals(1 << 3, c.read(BASE + PciHotplugController.PCID, 4));
        assertEquals(0, c.read(BASE + PciHotplugController.PCID, 4));
        c.write(BASE + PciHotplugController.PSEG, 4, 0);
        c.write(BASE + PciHotplugController.B0EJ, 4, 1 << 3);
        assertEquals(1, ejected.size());
        assertEquals(0, ejected.get(0)[0]);
        assertEquals(3, ejected.get(0)[1]);
    }

    @Test
    void shouldIgnoreWhatAHostileGuestWrites() {
        c.write(BASE + PciHotplugController.PSEG, 4, 7); // no segment 7: stays on 0
        assertEquals(0, c.read(BASE + PciHotplugController.PSEG, 4));
        c.write(BASE + PciHotplugController.PSEG, 4, -1);
        assertEquals(0, c.read(BASE + PciHotplugController.PSEG, 4));
        c.write(BASE + PciHotplugController.B0EJ, 4, 1); // slot 0 is the host bridge: never ejected
        c.write(BASE + PciHotplugController.B0EJ, 2, 1 << 4); // not a dword access
        c.write(BASE + 1, 4, -1);
        assertTrue(ejected.isEmpty());
        assertEquals(-1, c.read(BASE + 2, 4));
        assertEquals(-1, c.read(BASE, 1));
    }

    @Test
    void shouldWithdrawAnEjectRequestTheGuestHasNotRead() {
        c.requestRemove(0, 9);
        c.cancelRemove(0, 9);
        assertEquals(0, c.read(BASE + PciHotplugController.PCID, 4));
    }

    @Test
    void shouldGiveEverySlotOfEverySegmentSunAdrAndEj0() {
        byte[][] terms = PciHotplugController.bridgeAml(1);
        assertEquals(1 + 31, terms.length, "PCNT, then slots 1-31");
        byte[] all = Aml.device("PC01", terms);
        for (int slot = 1; slot < 32; slot++) {
            int at = AmlReader.indexOf(all, Aml.nameSeg(PciHotplugController.slotName(slot)));
            assertNotEquals(-1, at);
            assertNotEquals(-1, AmlReader.indexOf(all, Aml.name("_ADR", Aml.integer((long) slot << 16))));
            assertNotEquals(-1, AmlReader.indexOf(all, Aml.name("_SUN", Aml.integer(slot))));
        }
        assertNotEquals(-1, AmlReader.indexOf(all, "_EJ0".getBytes(StandardCharsets.US_ASCII)));
    }

    /**
     * The whole DSDT of a two-segment machine, disassembled and compiled again by ACPICA's iasl (the AML interpreter
     * Linux uses): it must parse, name what acpiphp needs, and compile with no error.
     */
    @Test
    void shouldBeAmlThatAcpicaReadsBackAsIntended(@TempDir Path dir) throws IOException, InterruptedException {
        Path iasl = Path.of("/usr/bin/iasl");
        assumeTrue(Files.isExecutable(iasl), "skipped: no " + iasl + " (acpica-tools; scripts/setup installs it)");
        PciWindows w = PciWindows.forRamEnd(1L << 30);
        byte[] dsdt = Dsdt.build(List.of(
            PciAcpi.dsdt(List.of(w.slice(0, 2), w.slice(1, 2)), PciHotplugController::bridgeAml),
            Aml.scope("\\_SB", PciHotplugController.controllerAml(2)),
            PciHotplugController.gpeAml(AcpiGpe.PCI_HOTPLUG)));
        Files.write(dir.resolve("dsdt.aml"), dsdt);
        assertEquals(0, run(dir, iasl.toString(), "-d", "dsdt.aml"));
        String dsl = Files.readString(dir.resolve("dsdt.dsl"));
        for (String s : List.of("Device (PC01)", "Name (_SEG, One)", "Method (PCNT, 0, NotSerialized)",
            "\\_SB.PHPR.PSEG = One", "Local0 = \\_SB.PHPR.PCIU", "Local1 = \\_SB.PHPR.PCID",
            "Notify (\\_SB.PC01.S1F, One)", "Notify (\\_SB.PC01.S1F, 0x03)", "Device (S1F)", "Name (_SUN, 0x1F)",
            "\\_SB.PHPR.PCEJ (0x1F, One)", "OperationRegion (PCST, SystemIO, 0xAE00, 0x10)",
            "Field (PCST, DWordAcc, NoLock, WriteAsZeros)", "B0EJ = (One << Arg0)", "Method (_E01, 0, NotSerialized)",
            "\\_SB.PHPR.PSCN ()", "\\_SB.PC01.PCNT ()")) {
            assertTrue(dsl.contains(s), s + " in:\n" + dsl);
        }
        Files.writeString(dir.resolve("again.dsl"), dsl);
        assertEquals(0, run(dir, iasl.toString(), "again.dsl"), "iasl compiles the disassembly");
    }

    private static int run(Path dir, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
            .redirectOutput(dir.resolve("iasl.log").toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        if (p.exitValue() != 0) {
            System.out.println(Files.readString(dir.resolve("iasl.log")));
        }
        return p.exitValue();
    }
}
