package io.vireo.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * {@code struct msghdr} ({@code <sys/socket.h>}) for sendmsg/recvmsg, pointers held as 64-bit addresses:
 *
 * <pre>
 *   0          8        12     16        24           32            40               48          52   56
 *   +----------+--------+------+---------+------------+-------------+----------------+-----------+----+
 *   | msg_name |namelen | pad  | msg_iov | msg_iovlen | msg_control | msg_controllen | msg_flags |pad |
 *   +----------+--------+------+---------+------------+-------------+----------------+-----------+----+
 * </pre>
 */
public final class MsgHdrLayout {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
        JAVA_LONG.withName("msg_name"),
        JAVA_INT.withName("msg_namelen"),
        MemoryLayout.paddingLayout(4),
        JAVA_LONG.withName("msg_iov"),
        JAVA_LONG.withName("msg_iovlen"),
        JAVA_LONG.withName("msg_control"),
        JAVA_LONG.withName("msg_controllen"),
        JAVA_INT.withName("msg_flags"),
        MemoryLayout.paddingLayout(4)).withName("msghdr");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long MSG_NAME_OFFSET = Layouts.offset(LAYOUT, "msg_name");
    public static final long MSG_NAMELEN_OFFSET = Layouts.offset(LAYOUT, "msg_namelen");
    public static final long MSG_IOV_OFFSET = Layouts.offset(LAYOUT, "msg_iov");
    public static final long MSG_IOVLEN_OFFSET = Layouts.offset(LAYOUT, "msg_iovlen");
    public static final long MSG_CONTROL_OFFSET = Layouts.offset(LAYOUT, "msg_control");
    public static final long MSG_CONTROLLEN_OFFSET = Layouts.offset(LAYOUT, "msg_controllen");
    public static final long MSG_FLAGS_OFFSET = Layouts.offset(LAYOUT, "msg_flags");

    private MsgHdrLayout() {
    }
}
