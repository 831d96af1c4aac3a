package io.vireo.vmm.acpi;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AmlTest {
    private static byte[] b(int... v) {
        byte[] out = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (byte) v[i];
        }
        return out;
    }

    @Test
    void shouldEncodeS5AsNamedPackage() {
        // Name(\_S5, Package() {5, 5, 0, 0}) as iasl compiles it
        assertArrayEquals(b(0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00),
            Dsdt.s5());
    }

    @Test
    void shouldEncodePkgLengthInOneToFourBytes() {
        assertArrayEquals(b(0x01), Aml.pkgLength(0));
        assertArrayEquals(b(0x3f), Aml.pkgLength(62));
        // 63 body bytes + 2 length bytes = 65 = 0x41: lead 0x40 | 0x1, then 0x41 >> 4
        assertArrayEquals(b(0x41, 0x04), Aml.pkgLength(63));
        assertArrayEquals(b(0x4f, 0xff), Aml.pkgLength(0xfff - 2));
        assertArrayEquals(b(0x81, 0x00, 0x01), Aml.pkgLength(0xfff - 1));
        assertArrayEquals(b(0xc3, 0x00, 0x00, 0x01), Aml.pkgLength(0xfffff));
        assertThrows(IllegalArgumentException.class, () -> Aml.pkgLength(1 << 28));
    }

    @Test
    void shouldRoundTripPkgLengthThroughIndependentDecoder() {
        for (int body : new int[] {0, 1, 61, 62, 63, 64, 100, 4093, 4094, 4095, 70000, 1_048_573, 1_048_576}) {
            byte[] enc = Aml.pkgLength(body);
            int[] dec = AmlReader.pkgLength(enc, 0);
            assertEquals(enc.length, dec[1], "bytes for body " + body);
            assertEquals(body + enc.length, dec[0], "length for body " + body);
        }
    }

    @Test
    void shouldPickShortestIntegerEncoding() {
        assertArrayEquals(b(0x00), Aml.integer(0));
        assertArrayEquals(b(0x01), Aml.integer(1));
        assertArrayEquals(b(0xff), Aml.integer(-1));
        assertArrayEquals(b(0x0a, 0x05), Aml.integer(5));
        assertArrayEquals(b(0x0b, 0x34, 0x12), Aml.integer(0x1234));
        assertArrayEquals(b(0x0c, 0x78, 0x56, 0x34, 0x12), Aml.integer(0x12345678));
        assertArrayEquals(b(0x0e, 1, 0, 0, 0, 1, 0, 0, 0), Aml.integer(0x1_0000_0001L));
    }

    @Test
    void shouldEncodeNamePaths() {
        assertArrayEquals(b('\\', '_', 'S', '5', '_'), Aml.namePath("\\_S5"));
        assertArrayEquals(b('_', 'H', 'I', 'D'), Aml.namePath("_HID"));
        assertArrayEquals(b('\\', 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0'), Aml.namePath("\\_SB.PCI0"));
        assertArrayEquals(b(0x2f, 3, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 'S', '0', '_', '_'),
            Aml.namePath("_SB.PCI0.S0"));
        assertArrayEquals(b('^', 'F', 'O', 'O', '_'), Aml.namePath("^FOO"));
        assertArrayEquals(b('\\', 0), Aml.namePath("\\"));
        assertThrows(IllegalArgumentException.class, () -> Aml.namePath("0ABC"));
        assertThrows(IllegalArgumentException.class, () -> Aml.namePath("TOOLONG"));
        assertThrows(IllegalArgumentException.class, () -> Aml.namePath("a"));
    }

    @Test
    void shouldCompressEisaId() {
        // EISAID("PNP0A03") is 0x030AD041, the PCI host bridge id QEMU's and every BIOS's DSDT carries
        assertArrayEquals(b(0x0c, 0x41, 0xd0, 0x0a, 0x03), Aml.eisaId("PNP0A03"));
        assertArrayEquals(b(0x0c, 0x41, 0xd0, 0x0a, 0x08), Aml.eisaId("PNP0A08"));
    }

    @Test
    void shouldNestDeviceInScope() {
        byte[] aml = Aml.scope("\\_SB", Aml.device("PCI0", Aml.name("_UID", Aml.integer(0))));
        // Scope: 0x10 PkgLength '\' _SB_ ; Device: 0x5B 0x82 PkgLength PCI0 ; Name(_UID, Zero): 0x08 _UID 0x00
        assertArrayEquals(b(0x10, 0x13, '\\', '_', 'S', 'B', '_',
            0x5b, 0x82, 0x0b, 'P', 'C', 'I', '0',
            0x08, '_', 'U', 'I', 'D', 0x00), aml);
    }

    @Test
    void shouldEncodeStringsAndPackagesOfStrings() {
        assertArrayEquals(b(0x0d, 'h', 'i', 0), Aml.string("hi"));
        assertEquals(List.of(), AmlReader.namedPackage(Aml.name("EMPT", Aml.pkg()), 0, "EMPT"));
        assertThrows(IllegalArgumentException.class, () -> Aml.string("caf\u00e9"));
    }

    /** The hand-written name and EISA id checks accept exactly what the grammar's patterns do. */
    @Test
    void shouldCheckNamesAndEisaIdsExactlyAsTheirPatterns() {
        String alphabet = "A_Z09F@[/:G";
        java.util.regex.Pattern nameSeg = java.util.regex.Pattern.compile("[A-Z_][A-Z0-9_]{0,3}");
        java.util.regex.Pattern eisa = java.util.regex.Pattern.compile("[A-Z]{3}[0-9A-F]{4}");
        List<String> all = new java.util.ArrayList<>(List.of(""));
        for (int len = 1; len <= 5; len++) {
            List<String> next = new java.util.ArrayList<>();
            for (String p : all) {
                if (p.length() == len - 1) {
                    for (char c : alphabet.toCharArray()) {
                        next.add(p + c);
                    }
                }
            }
            all.addAll(next);
        }
        for (String s : all) {
            assertEquals(nameSeg.matcher(s).matches(), Aml.isNameSeg(s), s);
        }
        for (String s : List.of("PNP0A08", "PNP0C0F", "ACPI0010", "PNP0a08", "PN10A08", "PNP0A0G", "pnp0A08",
            "PNP0A0")) {
            assertEquals(eisa.matcher(s).matches(), Aml.isEisaId(s), s);
        }
        assertEquals("00", Aml.hex2(0));
        assertEquals("1F", Aml.hex2(31));
        assertEquals("FF", Aml.hex2(255));
        assertThrows(IllegalArgumentException.class, () -> Aml.hex2(256));
    }
}
