package io.vireo.vmm.cli;

import io.vireo.vmm.VireoException;
import io.vireo.vmm.api.ApiClient;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import static io.vireo.vmm.cli.Sizes.usage;

/** {@code vireo ctl}: the control API's client, one command per endpoint, as Cloud Hypervisor's ch-remote. */
@Command(name = "ctl", addMethodSubcommands = false, sortOptions = false,
    description = "Drive a running VM through its control API (vireo run --api-socket PATH).",
    footerHeading = "%nCommands:%n",
    footer = {
        "  ping                       the VMM's version and pid",
        "  info                       state, cpus, memory, devices (id, type, PCI address)",
        "  counters                   every counter (devices, agents, KVM, exits), live",
        "  pause | resume             stop / restart every vCPU and queue agent",
        "  shutdown                   end the run",
        "  add-disk path=PATH[,id=ID][,readonly=on][,serial=S]",
        "                             hot-add a virtio-blk disk",
        "  add-net tap=NAME|loopback[,id=ID][,mac=MAC][,queues=N][,mtu=N]",
        "                             hot-add a virtio-net device",
        "  add-fs tag=TAG,socket=PATH[,id=ID][,queues=N][,queue-size=N]",
        "                             hot-add a virtio-fs device (vhost-user back end)",
        "  remove-device ID           hot-remove a device (the guest must eject it)",
        "",
        "Exit status: 0 done; 1 the VMM refused (its sentence is printed) or cannot",
        "be reached; 2 bad usage."})
final class CtlCommand implements Callable<Integer> {
    static final int REFUSED = 1;

    @Option(names = "--api-socket", paramLabel = "PATH", required = true, description = "the VM's API socket")
    Path socket;

    @Option(names = "--table", description = "print a readable table instead of JSON")
    boolean table;

    @Parameters(index = "0", paramLabel = "COMMAND", description = "see Commands below")
    String command;

    @Parameters(index = "1..*", paramLabel = "ARG", description = "the command's argument")
    List<String> args = new ArrayList<>();

    @Mixin
    HelpOption help;

    @ParentCommand
    VireoCommand parent;

    @Override
    public Integer call() {
        Request r = parse();
        ApiClient.Reply reply;
        try (ApiClient client = ApiClient.of(socket)) {
            reply = r.get ? client.get(r.endpoint) : client.put(r.endpoint, r.json);
        } catch (ApiClient.Unreachable e) {
            throw new VireoException(REFUSED, "ctl " + command + ": " + e.getMessage());
        }
        if (!reply.ok()) {
            throw new VireoException(REFUSED, "ctl " + command + ": " + reply.status() + " " + CtlOutput.error(reply));
        }
        String out = table ? CtlOutput.table(command, reply) : reply.body();
        if (!out.isEmpty()) {
            parent.out().print(out.endsWith("\n") ? out : out + "\n");
        }
        return 0;
    }

    private record Request(String endpoint, boolean get, String json) {
    }

    private Request parse() {
        return switch (command) {
            case "ping" -> noArgs(new Request("vmm.ping", true, null));
            case "info" -> noArgs(new Request("vm.info", true, null));
            case "counters" -> noArgs(new Request("vm.counters", true, null));
            case "pause" -> noArgs(new Request("vm.pause", false, null));
            case "resume" -> noArgs(new Request("vm.resume", false, null));
            case "shutdown" -> noArgs(new Request("vm.shutdown", false, null));
            case "add-disk" -> new Request("vm.add-disk", false, CtlOutput.json(addDisk()));
            case "add-net" -> new Request("vm.add-net", false, CtlOutput.json(addNet()));
            case "add-fs" -> new Request("vm.add-fs", false, CtlOutput.json(addFs()));
            case "remove-device" -> {
                if (args.size() != 1) {
                    throw usage("ctl remove-device needs one device id (see vireo ctl info)");
                }
                yield new Request("vm.remove-device", false, CtlOutput.json(Map.of("id", args.get(0))));
            }
            default -> throw usage("ctl: unknown command '" + command + "' (ping, info, counters, pause, resume, "
                + "shutdown, add-disk, add-net, add-fs, remove-device)");
        };
    }

    private Request noArgs(Request r) {
        if (!args.isEmpty()) {
            throw usage("ctl " + command + " takes no argument: '" + args.get(0) + "'");
        }
        return r;
    }

    /** {@code path=PATH[,id=ID][,readonly=on|off][,serial=S]} as the JSON body of vm.add-disk. */
    private Map<String, Object> addDisk() {
        Map<String, Object> body = new LinkedHashMap<>();
        keyValues("path=PATH[,id=ID][,readonly=on][,serial=S]", "path, id, readonly, serial", (key, value) -> {
            switch (key) {
                case "path" -> body.put(key, Path.of(value).toAbsolutePath().toString());
                case "id", "serial" -> body.put(key, value);
                case "readonly" -> body.put(key, switch (value) {
                    case "on" -> true;
                    case "off" -> false;
                    default -> throw usage("ctl add-disk: readonly=" + value + " (on or off)");
                });
                default -> {
                    return false;
                }
            }
            return true;
        });
        if (!body.containsKey("path")) {
            throw usage("ctl add-disk needs path=PATH");
        }
        return body;
    }

    /** {@code tap=NAME|loopback[,id=ID][,mac=MAC][,queues=N][,mtu=N]} as the JSON body of vm.add-net. */
    private Map<String, Object> addNet() {
        Map<String, Object> body = new LinkedHashMap<>();
        keyValues("tap=NAME|loopback[,id=ID][,mac=MAC][,queues=N][,mtu=N]", "tap, loopback, id, mac, queues, mtu",
            (key, value) -> {
                switch (key) {
                    case "tap", "id", "mac" -> body.put(key, value);
                    case "loopback" -> body.put(key, switch (value) {
                        case "", "on" -> true;
                        default -> throw usage("ctl add-net: loopback takes no value (got '" + value + "')");
                    });
                    case "queues", "mtu" -> body.put(key, Sizes.parseInt("ctl add-net: " + key, value));
                    default -> {
                        return false;
                    }
                }
                return true;
            });
        if (!body.containsKey("tap") && !body.containsKey("loopback")) {
            throw usage("ctl add-net needs tap=NAME or loopback");
        }
        return body;
    }

    /** {@code tag=TAG,socket=PATH[,id=ID][,queues=N][,queue-size=N]} as the JSON body of vm.add-fs. */
    private Map<String, Object> addFs() {
        Map<String, Object> body = new LinkedHashMap<>();
        keyValues("tag=TAG,socket=PATH[,id=ID][,queues=N][,queue-size=N]", "tag, socket, id, queues, queue-size",
            (key, value) -> {
                switch (key) {
                    case "tag", "id" -> body.put(key, value);
                    case "socket" -> body.put(key, Path.of(value).toAbsolutePath().toString());
                    case "queues" -> body.put(key, Sizes.parseInt("ctl add-fs: queues", value));
                    case "queue-size" -> body.put("queue_size", Sizes.parseInt("ctl add-fs: queue-size", value));
                    default -> {
                        return false;
                    }
                }
                return true;
            });
        if (!body.containsKey("tag") || !body.containsKey("socket")) {
            throw usage("ctl add-fs needs tag=TAG and socket=PATH");
        }
        return body;
    }

    /** Takes one key and its value (empty for a bare word); false: the key is unknown. */
    private interface KeyValue {
        boolean accept(String key, String value);
    }

    /** Splits the command's one argument, {@code key=value,...}, each key at most once. */
    private void keyValues(String syntax, String keys, KeyValue each) {
        if (args.size() != 1) {
            throw usage("ctl " + command + " needs one argument: " + syntax);
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (String kv : args.get(0).split(",", -1)) {
            int eq = kv.indexOf('=');
            String key = eq < 0 ? kv : kv.substring(0, eq);
            String value = eq < 0 ? "" : kv.substring(eq + 1);
            if (key.isEmpty() || (eq < 0 && !key.equals("loopback"))) {
                throw usage("ctl " + command + ": '" + kv + "' is not key=value (keys: " + keys + ")");
            }
            if (!seen.add(key)) {
                throw usage("ctl " + command + ": " + key + " is given twice");
            }
            if (!each.accept(key, value)) {
                throw usage("ctl " + command + ": unknown key '" + key + "' (keys: " + keys + ")");
            }
        }
    }
}
