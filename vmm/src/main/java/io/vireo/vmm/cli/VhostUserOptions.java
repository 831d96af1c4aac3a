package io.vireo.vmm.cli;

import io.vireo.dataplane.agent.DataPlane;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The flags every {@code vireo vhost-user-*} command takes (a picocli mixin): agents, pinning, counters. */
final class VhostUserOptions {
    @Option(names = "--io-threads", paramLabel = "queue|device|shared", converter = Converters.IoThreads.class,
        description = "queue agents: one thread per queue (a net queue pair is one), per device (default), or one "
            + "for all")
    DataPlane.Threads ioThreads = DataPlane.Threads.PER_DEVICE;

    @Option(names = "--io-cpus", paramLabel = "LIST", converter = Converters.CpuList.class,
        description = "pin the queue agents to these host CPUs, round-robin (e.g. 1 or 0,1)")
    Converters.Cpus ioCpus = Converters.Cpus.NONE;

    @Option(names = "--stats", description = "at exit, the data plane's counters on stderr (vireo: stats: lines)")
    boolean stats;

    @Option(names = "--stats-json", paramLabel = "FILE",
        description = "the same as one JSON object in FILE (written at exit, atomically)")
    Path statsJson;
}
