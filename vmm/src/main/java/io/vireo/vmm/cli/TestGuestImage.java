package io.vireo.vmm.cli;

import io.vireo.vmm.VireoException;
import io.vireo.vmm.ExitStatus;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.FileAlreadyExistsException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Finds the test guest ELF that the guest module puts on the classpath. */
public final class TestGuestImage {
    public static final String RESOURCE = "io/vireo/guest/vireo-test-guest.elf";

    private TestGuestImage() {
    }

    public static Path path() {
        URL url = TestGuestImage.class.getClassLoader().getResource(RESOURCE);
        if (url == null) {
            throw new VireoException(ExitStatus.USAGE, "the test guest is not built (" + RESOURCE
                + " is not on the classpath): run ./mvnw install, or give --kernel");
        }
        try {
            if ("file".equals(url.getProtocol())) {
                return Path.of(url.toURI());
            }
            Path tmp = extractionFile();
            tmp.toFile().deleteOnExit();
            try (InputStream in = url.openStream()) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            return tmp;
        } catch (IOException | URISyntaxException e) {
            throw new VireoException(ExitStatus.USAGE, "cannot read the test guest from " + url + ": "
                + e.getMessage());
        }
    }

    /**
     * A new file in the temporary directory, named after this process. Not {@link Files#createTempFile}: its random
     * name comes from SecureRandom, whose first use sets up the JDK's security providers (6-15 ms here, on the way
     * to the guest's first instruction). CREATE_NEW (O_EXCL) neither follows a planted symlink nor reuses a file;
     * if the name is taken (a dead process's leftover), a random name as before.
     */
    private static Path extractionFile() throws IOException {
        Path dir = Path.of(System.getProperty("java.io.tmpdir"));
        try {
            return Files.createFile(dir.resolve("vireo-test-guest-" + ProcessHandle.current().pid() + ".elf"));
        } catch (FileAlreadyExistsException e) {
            return Files.createTempFile(dir, "vireo-test-guest", ".elf");
        }
    }
}
