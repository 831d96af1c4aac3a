package io.vireo.dataplane.virtio.device.net;

import io.vireo.dataplane.agent.AgentCounter;
import io.vireo.dataplane.agent.QueueAgent;
import io.vireo.dataplane.virtio.device.net.backend.TapNetBackend;
import io.vireo.sys.Libc;

import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BusySpinIdleStrategy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The device over a real tap: the tap is opened here (created), moved into a namespace this test makes, and given an
 * address there; a UDP echo server in the namespace answers datagrams the "guest" (this test, through the device's
 * queues) sends, so frames cross the tap both ways through the kernel's IPv4 and UDP stack.
 */
class TapNetBackendTest {
    private static final byte[] GUEST_IP = {10, (byte) 213, 7, 2};
    private static final byte[] HOST_IP = {10, (byte) 213, 7, 1};
    private static final int PORT = 7777;

    @Test
    void shouldCarryUdpBothWaysThroughARealTapInANamespace() throws Exception {
        String tap = "vtap" + ProcessHandle.current().pid() % 100000;
        try (NetNamespace ns = NetNamespace.create("vireo-net")) {
            TapNetBackend backend = TapNetBackend.open(tap, 1, 0);
            try (NetRig rig = new NetRig(backend, 1, 0)) {
                ns.adopt(tap, "10.213.7.1/24");
                // The guest answers no ARP: the namespace knows its MAC.
                NetNamespace.check(ns.exec("ip", "neigh", "add", "10.213.7.2", "lladdr", "52:54:00:12:34:56", "dev",
                    tap));
                byte[] hostMac = ns.mac(tap);
                int count = 200;
                Process echo = ns.start("python3", "-c", "import socket,sys\n"
                    + "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                    + "s.bind(('10.213.7.1'," + PORT + "))\nprint('ready',flush=True)\n"
                    + "for i in range(" + count + "):\n"
                    + "    d,a=s.recvfrom(65535)\n    s.sendto(d,a)\n");
                try {
                    String ready = new String(echo.getInputStream().readNBytes(6), StandardCharsets.US_ASCII);
                    assertEquals("ready\n", ready, "echo server started");
                    rig.postRx(0, 128, 2048);
                    List<byte[]> sent = new ArrayList<>();
                    List<byte[]> back = new ArrayList<>();
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    for (int i = 0; i < count && System.nanoTime() < deadline; i++) {
                        byte[] payload = new byte[1 + (i * 37) % 1472];
                        Arrays.fill(payload, (byte) i);
                        sent.add(payload);
                        rig.send(0, Frames.udp(hostMac, NetRig.MAC, GUEST_IP, HOST_IP, 40000 + i, PORT, payload));
                        // Wait for the echo, serving the queues as the guest's driver would.
                        while (back.size() <= i && System.nanoTime() < deadline) {
                            rig.run();
                            rig.used(1);
                            for (byte[] f : rig.received(0)) {
                                byte[] p = Frames.udpPayload(f, 12, PORT);
                                if (p != null) {
                                    back.add(p);
                                }
                            }
                            if (rig.rx(0).freeDescriptors() > 64) {
                                rig.postRx(0, 64, 2048);
                            }
                        }
                    }
                    assertEquals(count, back.size(), "every datagram echoed");
                    for (int i = 0; i < count; i++) {
                        assertArrayEquals(sent.get(i), back.get(i), "datagram " + i);
                    }
                    assertEquals(count, rig.dev.sum(NetCounter.TX_FRAMES));
                    assertTrue(rig.dev.sum(NetCounter.RX_FRAMES) >= count);
                    assertEquals(0, rig.dev.sum(NetCounter.TX_DROPS_BACKEND));
                } finally {
                    echo.destroyForcibly();
                    echo.waitFor(5, TimeUnit.SECONDS);
                }
            }
        }
    }

    /**
     * Back-pressure with a real tap: datagrams arrive while the driver has posted no receive buffers. The pair's agent
     * (its real epoll sleep, the tap fd edge-triggered in it) must neither spin nor read and drop them: it sleeps,
     * and the driver's kick after posting buffers brings every datagram in.
     */
    @Test
    void shouldSleepWithFramesWaitingInTheTapAndDeliverThemAllOnceBuffersArrive() throws Exception {
        String tap = "vtapb" + ProcessHandle.current().pid() % 100000;
        try (NetNamespace ns = NetNamespace.create("vireo-netb")) {
            TapNetBackend backend = TapNetBackend.open(tap, 1, 0);
            try (NetRig rig = new NetRig(backend, 1, 0)) {
                ns.adopt(tap, "10.213.8.1/24");
                NetNamespace.check(ns.exec("ip", "neigh", "add", "10.213.8.2", "lladdr", "52:54:00:12:34:56", "dev",
                    tap));
                QueueAgent agent = new QueueAgent("net-bp", 50_000, -1);
                NetQueuePair pair = (NetQueuePair) rig.dev.polledQueue(0);
                agent.add(pair);
                AgentRunner runner = new AgentRunner(new BusySpinIdleStrategy(), Throwable::printStackTrace, null,
                    agent);
                AgentRunner.startOnThread(runner);
                try {
                    int count = 20;
                    NetNamespace.check(ns.exec("python3", "-c", "import socket\n"
                        + "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                        + "for i in range(" + count + "): s.sendto(bytes([i])*(100+i),('10.213.8.2',9999))\n"));
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (rig.dev.sum(NetCounter.RX_STALLS) == 0 && System.nanoTime() < deadline) {
                        Thread.sleep(10);
                    }
                    assertTrue(rig.dev.sum(NetCounter.RX_STALLS) > 0, "the pair saw no room for the frames");
                    Thread.sleep(200);
                    long cycles = agent.counter(AgentCounter.DUTY_CYCLES);
                    Thread.sleep(300);
                    long spun = agent.counter(AgentCounter.DUTY_CYCLES) - cycles;
                    // A spinning agent runs millions of cycles in 300 ms; a sleeping one a handful (each arrival).
                    assertTrue(spun < 1000, "the agent sleeps while frames wait: " + spun + " duty cycles");
                    assertTrue(agent.counter(AgentCounter.IDLE_SLEEPS) > 0);
                    assertEquals(0, rig.dev.sum(NetCounter.RX_FRAMES));
                    assertEquals(0, rig.dev.sum(NetCounter.RX_DROPS_BACKEND), "nothing read and dropped");
                    // The driver posts buffers and kicks (the ioeventfd's write).
                    rig.postRx(0, 64, 2048);
                    rig.kickAll();
                    MemorySegment one = Arena.ofAuto().allocate(8, 8);
                    one.set(ValueLayout.JAVA_LONG, 0, 1L);
                    Libc.write(pair.kickEventFd(), one, 8);
                    List<byte[]> got = new ArrayList<>();
                    while (got.size() < count && System.nanoTime() < deadline + TimeUnit.SECONDS.toNanos(10)) {
                        for (byte[] f : rig.received(0)) {
                            byte[] p = Frames.udpPayload(f, 12, -1);
                            if (p != null) {
                                got.add(p);
                            }
                        }
                        Thread.sleep(5);
                    }
                    assertEquals(count, got.size(), "every datagram, none lost to the wait");
                    for (int i = 0; i < count; i++) {
                        assertEquals(100 + i, got.get(i).length);
                        assertEquals(i, got.get(i)[0]);
                    }
                } finally {
                    runner.close();
                }
            }
        }
    }

    @Test
    void shouldSayInOneLineWhyATapCannotBeOpenedWithOtherFlags() throws IOException, InterruptedException {
        String tap = "vtapq" + ProcessHandle.current().pid() % 100000;
        try (NetNamespace ns = NetNamespace.create("vireo-netq")) {
            try (TapNetBackend single = TapNetBackend.open(tap, 1, 0)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TapNetBackend.open(tap, 2, 0));
                assertTrue(e.getMessage().startsWith("tap " + tap + ": "), e.getMessage());
                assertTrue(e.getMessage().contains("multi_queue"), e.getMessage());
                assertTrue(!e.getMessage().contains("\n"), e.getMessage());
            }
            assertTrue(ns.name.startsWith("vireo-netq"));
        }
    }
}
