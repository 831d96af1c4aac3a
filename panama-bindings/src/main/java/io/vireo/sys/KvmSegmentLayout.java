package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.StructLayout;

/**
 * {@code struct kvm_segment}: a segment register with its hidden descriptor cache (24 bytes).
 *
 * <pre>
 *   0 base u64 | 8 limit u32 | 12 selector u16 | 14 type | 15 present | 16 dpl | 17 db | 18 s | 19 l | 20 g
 *   | 21 avl | 22 unusable | 23 padding
 * </pre>
 */
public final class KvmSegmentLayout {

    public static final StructLayout LAYOUT = structLayout(
        JAVA_LONG.withName("base"),
        JAVA_INT.withName("limit"),
        JAVA_SHORT.withName("selector"),
        JAVA_BYTE.withName("type"),
        JAVA_BYTE.withName("present"),
        JAVA_BYTE.withName("dpl"),
        JAVA_BYTE.withName("db"),
        JAVA_BYTE.withName("s"),
        JAVA_BYTE.withName("l"),
        JAVA_BYTE.withName("g"),
        JAVA_BYTE.withName("avl"),
        JAVA_BYTE.withName("unusable"),
        JAVA_BYTE.withName("padding")).withName("kvm_segment");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long BASE_OFFSET = Layouts.offset(LAYOUT, "base");
    public static final long LIMIT_OFFSET = Layouts.offset(LAYOUT, "limit");
    public static final long SELECTOR_OFFSET = Layouts.offset(LAYOUT, "selector");
    public static final long TYPE_OFFSET = Layouts.offset(LAYOUT, "type");
    public static final long PRESENT_OFFSET = Layouts.offset(LAYOUT, "present");
    public static final long DPL_OFFSET = Layouts.offset(LAYOUT, "dpl");
    public static final long DB_OFFSET = Layouts.offset(LAYOUT, "db");
    public static final long S_OFFSET = Layouts.offset(LAYOUT, "s");
    public static final long L_OFFSET = Layouts.offset(LAYOUT, "l");
    public static final long G_OFFSET = Layouts.offset(LAYOUT, "g");
    public static final long AVL_OFFSET = Layouts.offset(LAYOUT, "avl");
    public static final long UNUSABLE_OFFSET = Layouts.offset(LAYOUT, "unusable");

    private KvmSegmentLayout() {
    }
}
