package io.vireo.dataplane.virtio.device.net;

import java.util.Arrays;

/** Hand-built Ethernet / IPv4 / UDP frames for the tap tests (no checksum offload: UDP checksum 0, IPv4's computed). */
final class Frames {
    private Frames() {
    }

    static byte[] udp(byte[] dstMac, byte[] srcMac, byte[] srcIp, byte[] dstIp, int srcPort, int dstPort,
                      byte[] payload) {
        int ipLen = 20 + 8 + payload.length;
        byte[] f = new byte[14 + ipLen];
        System.arraycopy(dstMac, 0, f, 0, 6);
        System.arraycopy(srcMac, 0, f, 6, 6);
        f[12] = 0x08;
        f[13] = 0x00;
        int ip = 14;
        f[ip] = 0x45;
        f[ip + 2] = (byte) (ipLen >> 8);
        f[ip + 3] = (byte) ipLen;
        f[ip + 8] = 64;
        f[ip + 9] = 17;
        System.arraycopy(srcIp, 0, f, ip + 12, 4);
        System.arraycopy(dstIp, 0, f, ip + 16, 4);
        int sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += ((f[ip + i] & 0xff) << 8) | (f[ip + i + 1] & 0xff);
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        sum = ~sum & 0xffff;
        f[ip + 10] = (byte) (sum >> 8);
        f[ip + 11] = (byte) sum;
        int udp = ip + 20;
        f[udp] = (byte) (srcPort >> 8);
        f[udp + 1] = (byte) srcPort;
        f[udp + 2] = (byte) (dstPort >> 8);
        f[udp + 3] = (byte) dstPort;
        f[udp + 4] = (byte) ((8 + payload.length) >> 8);
        f[udp + 5] = (byte) (8 + payload.length);
        System.arraycopy(payload, 0, f, udp + 8, payload.length);
        return f;
    }

    /** The UDP payload of a received frame (after {@code skip} header bytes) from {@code srcPort} (-1 any), or null. */
    static byte[] udpPayload(byte[] received, int skip, int srcPort) {
        int ip = skip + 14;
        if (received.length < ip + 28 || received[skip + 12] != 0x08 || received[skip + 13] != 0x00
            || received[ip + 9] != 17) {
            return null;
        }
        int ihl = (received[ip] & 0x0f) * 4;
        int udp = ip + ihl;
        int port = ((received[udp] & 0xff) << 8) | (received[udp + 1] & 0xff);
        int len = ((received[udp + 4] & 0xff) << 8) | (received[udp + 5] & 0xff);
        if ((srcPort >= 0 && port != srcPort) || udp + len > received.length) {
            return null;
        }
        return Arrays.copyOfRange(received, udp + 8, udp + len);
    }
}
