package io.vireo.vmm.cli;

import io.vireo.vmm.VireoException;
import io.vireo.vmm.ExitStatus;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;

/**
 * The default Linux guest ({@code --guest linux}): Debian's cloud kernel and an initramfs that
 * {@code linux/build-guest-image.sh} builds from Debian packages into a cache, on first use and
 * whenever the script or a package version changes. The guest's /init runs the command Vireo
 * passes as {@code vireo.cmd=<base64>} and reports its status on the exit ports (linux/README.md).
 */
public final class LinuxGuestImage {
    /** What the guest kernel needs on every boot: the console on COM1, reboot through the i8042. */
    static final String BASE_CMDLINE = "console=ttyS0 reboot=k panic=-1";

    private LinuxGuestImage() {
    }

    public static Path root() {
        return Path.of(System.getProperty("vireo.root", ".")).toAbsolutePath().normalize();
    }

    public static Path cacheDir() {
        String cache = System.getenv("VIREO_CACHE");
        return (cache != null && !cache.isEmpty() ? Path.of(cache) : root().resolve(".cache")).resolve("linux-guest");
    }

    public static Path bzImage() {
        return cacheDir().resolve("bzImage");
    }

    public static Path initramfs() {
        return cacheDir().resolve("initramfs.cpio.gz");
    }

    /** Runs the image build (quick when nothing changed); its progress goes to our stderr. */
    static void ensureBuilt() {
        Path script = root().resolve("linux/build-guest-image.sh");
        if (!Files.isExecutable(script)) {
            throw new VireoException(ExitStatus.USAGE, "--guest linux: " + script + " is missing (is vireo.root"
                + " the repository?)");
        }
        try {
            Process p = new ProcessBuilder(script.toString(), "--quiet", "--out", cacheDir().toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            int status = p.waitFor();
            if (status != 0) {
                throw new VireoException(ExitStatus.USAGE, "--guest linux: building the guest image failed ("
                    + script.getFileName() + " exited " + status + ")");
            }
        } catch (IOException e) {
            throw new VireoException(ExitStatus.USAGE, "--guest linux: cannot run " + script + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VireoException(ExitStatus.SIGINT, "interrupted while building the Linux guest image");
        }
    }

    /**
     * The kernel command line for a guest command: each argument single-quoted for {@code sh -c},
     * the whole base64-encoded so the kernel command line needs no quoting.
     */
    static String commandArgument(List<String> command) {
        StringBuilder sb = new StringBuilder();
        for (String arg : command) {
            if (!sb.isEmpty()) {
                sb.append(' ');
            }
            sb.append('\'').append(arg.replace("'", "'\\''")).append('\'');
        }
        return "vireo.cmd=" + Base64.getEncoder().encodeToString(sb.toString().getBytes(StandardCharsets.UTF_8));
    }
}
