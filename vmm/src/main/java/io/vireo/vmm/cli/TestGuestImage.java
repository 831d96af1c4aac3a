package io.vireo.vmm.cli;

import io.vireo.vmm.VireoException;
import io.vireo.vmm.ExitStatus;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
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
            Path tmp = Files.createTempFile("vireo-test-guest", ".elf");
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
}
