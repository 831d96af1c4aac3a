package io.vireo.vmm.acpi;

/**
 * Generic Address Structure (ACPI 6.5, 5.2.3.2), 12 bytes.
 *
 * <pre>
 * +---+-------------------+   +---+--------------------------------+
 * | 0 | Address Space ID  |   | 3 | Access Size (1 byte .. 4 qword) |
 * | 1 | Register Bit Width|   | 4 | Address                    u64 |
 * | 2 | Register Bit Off. |   +---+--------------------------------+
 * +---+-------------------+
 * </pre>
 */
public record Gas(int spaceId, int bitWidth, int bitOffset, int accessSize, long address) {
    public static final int SIZE = 12;
    public static final int SPACE_SYSTEM_MEMORY = 0;
    public static final int SPACE_SYSTEM_IO = 1;
    public static final int ACCESS_UNDEFINED = 0;
    public static final int ACCESS_BYTE = 1;
    public static final int ACCESS_WORD = 2;
    public static final int ACCESS_DWORD = 3;

    /** The all-zero GAS: "not present". */
    public static final Gas NONE = new Gas(0, 0, 0, 0, 0);

    /** A register of {@code bytes} bytes in I/O space. */
    public static Gas io(int port, int bytes, int accessSize) {
        return new Gas(SPACE_SYSTEM_IO, bytes * 8, 0, accessSize, port);
    }

    public void appendTo(AcpiTable t) {
        t.u8(spaceId).u8(bitWidth).u8(bitOffset).u8(accessSize).u64(address);
    }
}
