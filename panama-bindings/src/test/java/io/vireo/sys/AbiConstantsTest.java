package io.vireo.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.GroupLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * Every constant, struct size and field offset in io.vireo.sys against the C headers of this machine (see
 * {@code src/test/c/abi_values.c}), in both directions: each C line must match its Java field, and each public
 * numeric constant in the package must have a C line unless listed in {@link #NOT_IN_C} with the reason.
 */
class AbiConstantsTest {

    /** Java constants with no C counterpart, and why. */
    private static final Map<String, String> NOT_IN_C = Map.of(
        "KvmSignalMaskLayout.KERNEL_SIGSET_BYTES", "the kernel's _NSIG/8 is not in the uapi headers glibc exposes");

    @Test
    void shouldMatchTheCValueForEveryLineTheCProgramPrints() throws Exception {
        final List<String> mismatches = new ArrayList<>();
        for (final Map.Entry<String, Long> entry : CAbiValues.get().values.entrySet()) {
            final String name = entry.getKey();
            final long c = entry.getValue();
            final Field field = field(name);
            if (field == null) {
                mismatches.add(name + ": C=" + c + ", Java=<no such public static field>");
                continue;
            }
            final long java = ((Number) field.get(null)).longValue();
            if (!sameValue(field.getType(), java, c)) {
                mismatches.add(name + ": C=" + c + " (0x" + Long.toHexString(c) + "), Java=" + java + " (0x"
                    + Long.toHexString(java) + ")");
            }
        }
        assertTrue(mismatches.isEmpty(), mismatches.size() + " mismatches:\n" + String.join("\n", mismatches));
    }

    @Test
    void shouldHaveACValueForEveryPublicJavaConstant() throws Exception {
        final Map<String, Long> c = CAbiValues.get().values;
        final List<String> unchecked = new ArrayList<>();
        int checked = 0;
        for (final Class<?> type : publicClasses()) {
            for (final Field field : type.getFields()) {
                if (!isNumericConstant(field)) {
                    continue;
                }
                final String name = type.getSimpleName() + "." + field.getName();
                if (c.containsKey(name)) {
                    checked++;
                } else if (!NOT_IN_C.containsKey(name)) {
                    unchecked.add(name);
                }
            }
        }
        assertTrue(unchecked.isEmpty(), "Java constants with no line in abi_values.c (add one, or a reason to "
            + "NOT_IN_C):\n" + String.join("\n", unchecked));
        assertTrue(checked > 600, "suspiciously few constants checked: " + checked);
    }

    @Test
    void shouldNameEveryErrnoAsGlibcDoes() throws Exception {
        final String[] glibc = CAbiValues.get().errnoNames;
        final List<String> mismatches = new ArrayList<>();
        for (int errno = 1; errno <= 133; errno++) {
            final String expected = glibc[errno] == null ? "E?" + errno : glibc[errno];
            if (!expected.equals(Errno.name(errno))) {
                mismatches.add(errno + ": glibc=" + expected + ", Java=" + Errno.name(errno));
            }
        }
        assertTrue(mismatches.isEmpty(), String.join("\n", mismatches));
        assertEquals("E?0", Errno.name(0));
        assertEquals("E?134", Errno.name(134));
        assertEquals("E?-1", Errno.name(-1));
    }

    @Test
    void shouldDeclareSizeAsTheByteSizeOfLayout() throws Exception {
        for (final Class<?> type : publicClasses()) {
            if (!type.getSimpleName().endsWith("Layout")) {
                continue;
            }
            final GroupLayout layout = (GroupLayout) type.getField("LAYOUT").get(null);
            assertEquals(layout.byteSize(), type.getField("SIZE").getLong(null), type.getSimpleName());
        }
    }

    /** A Java int holds C unsigned values above 2^31 as negative numbers (EPOLLET is 1u << 31). */
    private static boolean sameValue(final Class<?> javaType, final long java, final long c) {
        if (java == c) {
            return true;
        }
        if (javaType == int.class) {
            return (java & 0xFFFF_FFFFL) == c;
        }
        if (javaType == short.class) {
            return (java & 0xFFFFL) == c;
        }
        return false;
    }

    private static boolean isNumericConstant(final Field field) {
        final int modifiers = field.getModifiers();
        final Class<?> type = field.getType();
        return Modifier.isStatic(modifiers) && Modifier.isFinal(modifiers)
            && (type == int.class || type == long.class || type == short.class || type == byte.class);
    }

    private static Field field(final String javaName) {
        final int dot = javaName.indexOf('.');
        try {
            final Class<?> type = Class.forName("io.vireo.sys." + javaName.substring(0, dot));
            final Field field = type.getField(javaName.substring(dot + 1));
            return isNumericConstant(field) ? field : null;
        } catch (ClassNotFoundException | NoSuchFieldException e) {
            return null;
        }
    }

    /** The public top-level classes of io.vireo.sys, found next to Kvm.class in target/classes. */
    private static List<Class<?>> publicClasses() throws IOException, URISyntaxException, ClassNotFoundException {
        final Path dir = Path.of(Kvm.class.getResource("Kvm.class").toURI()).getParent();
        final TreeMap<String, Class<?>> classes = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (final Path file : files.toList()) {
                final String name = file.getFileName().toString();
                if (name.endsWith(".class") && !name.contains("$")) {
                    final Class<?> type = Class.forName("io.vireo.sys." + name.substring(0, name.length() - 6));
                    if (Modifier.isPublic(type.getModifiers())) {
                        classes.put(name, type);
                    }
                }
            }
        }
        return new ArrayList<>(classes.values());
    }
}
