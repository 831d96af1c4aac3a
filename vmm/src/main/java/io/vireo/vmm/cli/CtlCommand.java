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
@Command(name = "ctl", sortOptions = false,
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
            case "remove-device" -> {
                if (args.size() != 1) {
                    throw usage("ctl remove-device needs one device id (see vireo ctl info)");
                }
                yield new Request("vm.remove-device", false, CtlOutput.json(Map.of("id", args.get(0))));
            }
            default -> throw usage("ctl: unknown command '" + command + "' (ping, info, counters, pause, resume, "
                + "shutdown, add-disk, remove-device)");
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
        if (args.size() != 1) {
            throw usage("ctl add-disk needs one argument: path=PATH[,id=ID][,readonly=on][,serial=S]");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        for (String kv : args.get(0).split(",", -1)) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw usage("ctl add-disk: '" + kv + "' is not key=value (keys: path, id, readonly, serial)");
            }
            String key = kv.substring(0, eq);
            String value = kv.substring(eq + 1);
            if (body.containsKey(key)) {
                throw usage("ctl add-disk: " + key + " is given twice");
            }
            switch (key) {
                case "path" -> body.put(key, Path.of(value).toAbsolutePath().toString());
                case "id", "serial" -> body.put(key, value);
                case "readonly" -> body.put(key, switch (value) {
                    case "on" -> true;
                    case "off" -> false;
                    default -> throw usage("ctl add-disk: readonly=" + value + " (on or off)");
                });
                default -> throw usage("ctl add-disk: unknown key '" + key + "' (keys: path, id, readonly, serial)");
            }
        }
        if (!body.containsKey("path")) {
            throw usage("ctl add-disk needs path=PATH");
        }
        return body;
    }
}
