package io.vireo.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the embedding example over a fresh image and checks what it printed and what it wrote to the file. */
class EmbedVirtioBlkTest {
    @Test
    void shouldWriteReadFlushAndIdentifyThroughTheQueueAgent(@TempDir Path dir) throws Exception {
        Path image = Files.write(dir.resolve("disk.img"), new byte[1 << 20]);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        EmbedVirtioBlk.run(image, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        List<String> lines = out.lines().toList();

        assertTrue(lines.get(0).startsWith("guest RAM: 16 MiB; disk: "), out);
        assertTrue(lines.get(0).endsWith(", 2048 sectors"), out);
        assertTrue(lines.get(1).matches("write 4096 bytes: head \\d+ used \\(id \\d+, len 1\\), status OK.*"), out);
        assertTrue(lines.get(2).matches("read 4096 bytes: head \\d+ used \\(id \\d+, len 4097\\), status OK.*"), out);
        assertEquals("read back: written by EmbedVirtioBlk through a virtqueue", lines.get(3));
        assertTrue(lines.get(4).matches("flush: head \\d+ used \\(id \\d+, len 1\\), status OK.*"), out);
        assertTrue(lines.get(5).matches("get id: head \\d+ used \\(id \\d+, len 21\\), status OK.*"), out);
        assertEquals("serial: vireo-example", lines.get(6));
        assertTrue(lines.get(7).startsWith("disk0: "), out);
        assertTrue(lines.get(7).contains(" requests=4"), out);
        assertTrue(lines.get(8).matches("interrupts: [1-4]"), out);
        assertEquals(9, lines.size(), out);
        assertTrue(lines.stream().noneMatch(l -> l.contains("needs reset")), out);
        // Each used element's id is the head the driver gave: the device returned what it was handed.
        for (String l : lines.subList(1, 6)) {
            if (l.contains("head ")) {
                String head = l.replaceAll(".*head (\\d+) used \\(id (\\d+),.*", "$1");
                String id = l.replaceAll(".*head (\\d+) used \\(id (\\d+),.*", "$2");
                assertEquals(head, id, l);
            }
        }

        byte[] onDisk = Files.readAllBytes(image);
        String sector8 = new String(Arrays.copyOfRange(onDisk, 8 * 512, 8 * 512 + 46), StandardCharsets.US_ASCII);
        assertEquals("written by EmbedVirtioBlk through a virtqueue\n", sector8);
        assertTrue(allZero(onDisk, 0, 8 * 512) && allZero(onDisk, 8 * 512 + 4096, onDisk.length),
            "nothing else written");
    }

    private static boolean allZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    @Test
    void shouldStayShort() throws IOException {
        Path source = Path.of("src/main/java/io/vireo/examples/EmbedVirtioBlk.java");
        long lines = Files.readAllLines(source).size();
        assertTrue(lines <= 160, "the example is meant to be read in one sitting: " + lines + " lines");
    }
}
