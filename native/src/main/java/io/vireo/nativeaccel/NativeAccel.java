package io.vireo.nativeaccel;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.vireo.sys.Downcalls;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Loads {@code libvireo-native.so} once, from the class path: straight from the file when the resource is a file
 * (target/classes during the build), else copied out of the jar into a temporary file first.
 *
 * <p>If loading fails, nothing fails at class initialisation: {@link #bind} hands out handles that throw the one
 * {@link IllegalStateException} saying why, so the message reaches whoever first needs the library.
 */
public final class NativeAccel {

    /** Where the build puts the library, relative to the class path root. */
    public static final String RESOURCE = "io/vireo/nativeaccel/linux-x86_64/libvireo-native.so";
    /** The {@code VIREO_NATIVE_ABI_VERSION} this Java code was written against (see vireo_native.h). */
    static final int ABI_VERSION = 1;

    private static final String LIBRARY = "libvireo-native.so";
    private static final MethodHandle UNAVAILABLE;

    static {
        try {
            UNAVAILABLE = MethodHandles.lookup().findStatic(NativeAccel.class, "unavailable",
                MethodType.methodType(IllegalStateException.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private NativeAccel() {
    }

    /** Loaded once, on first use; either a lookup or the reason there is none. */
    private static final class Holder {
        static final SymbolLookup LOOKUP;
        static final IllegalStateException FAILURE;

        static {
            SymbolLookup lookup = null;
            IllegalStateException failure = null;
            try {
                lookup = load(NativeAccel.class.getClassLoader(), RESOURCE);
            } catch (IllegalStateException e) {
                failure = e;
            }
            LOOKUP = lookup;
            FAILURE = failure;
        }
    }

    /** @return whether the library loaded; {@link #failure()} says why not */
    public static boolean isAvailable() {
        return Holder.FAILURE == null;
    }

    /** @return why the library did not load, or null */
    public static IllegalStateException failure() {
        return Holder.FAILURE;
    }

    /**
     * @return the library's symbols
     * @throws IllegalStateException saying why the library could not be loaded
     */
    public static SymbolLookup lookup() {
        if (Holder.FAILURE != null) {
            throw unavailable();
        }
        return Holder.LOOKUP;
    }

    /**
     * A downcall handle for one of the library's functions. When the library is missing, the handle has the
     * same type but throws the load failure when called.
     */
    static MethodHandle bind(final String name, final FunctionDescriptor descriptor) {
        if (Holder.FAILURE != null) {
            // (args) -> throw unavailable(): a fresh exception per call, so its stack trace shows the caller.
            final MethodType type = descriptor.toMethodType();
            final MethodHandle thrower = MethodHandles.foldArguments(
                MethodHandles.throwException(type.returnType(), IllegalStateException.class), UNAVAILABLE);
            return MethodHandles.dropArguments(thrower, 0, type.parameterList());
        }
        return Downcalls.bind(Holder.LOOKUP, LIBRARY, name, descriptor);
    }

    private static IllegalStateException unavailable() {
        return new IllegalStateException(Holder.FAILURE.getMessage(), Holder.FAILURE);
    }

    /** Package-private for the test of the missing-library message. */
    @SuppressWarnings("restricted")
    static SymbolLookup load(final ClassLoader loader, final String resource) {
        final String os = System.getProperty("os.name", "?");
        final String arch = System.getProperty("os.arch", "?");
        if (!os.toLowerCase(Locale.ROOT).startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new IllegalStateException(LIBRARY + " is built for linux-x86_64 only; this JVM runs on os.name="
                + os + ", os.arch=" + arch);
        }
        final URL url = loader.getResource(resource);
        if (url == null) {
            throw new IllegalStateException(LIBRARY + " not found on the class path as " + resource
                + ": build module native (its build runs make -C native/src/main/c) or put vireo-native.jar on the"
                + " class path");
        }
        try {
            final SymbolLookup lookup;
            if (url.getProtocol().equals("file")) {
                lookup = SymbolLookup.libraryLookup(Path.of(url.toURI()), Arena.global());
            } else {
                lookup = loadCopy(url);
            }
            checkAbiVersion(lookup, url);
            return lookup;
        } catch (IOException | URISyntaxException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot load " + LIBRARY + " from " + url + ": " + e, e);
        }
    }

    /** dlopen needs a file: copy the jar entry out. Once loaded, the file can go (the mapping stays). */
    @SuppressWarnings("restricted")
    private static SymbolLookup loadCopy(final URL url) throws IOException {
        // Named after this process rather than by Files.createTempFile, whose random name sets up the JDK's security
        // providers on first use (~10 ms of a VM's start); CREATE_NEW (O_EXCL) neither follows a planted symlink nor
        // reuses a file, and a taken name (a dead process's leftover) falls back to a random one.
        final Path dir = Path.of(System.getProperty("java.io.tmpdir"));
        Path named;
        try {
            named = Files.createFile(dir.resolve("libvireo-native-" + ProcessHandle.current().pid() + ".so"));
        } catch (FileAlreadyExistsException e) {
            named = Files.createTempFile(dir, "libvireo-native-", ".so");
        }
        final Path copy = named;
        try {
            try (InputStream in = url.openStream()) {
                Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
            }
            return SymbolLookup.libraryLookup(copy, Arena.global());
        } finally {
            try {
                Files.delete(copy);
            } catch (IOException e) {
                copy.toFile().deleteOnExit();
            }
        }
    }

    private static void checkAbiVersion(final SymbolLookup lookup, final URL url) {
        final MethodHandle version = Downcalls.bind(lookup, LIBRARY, "vireo_native_abi_version",
            FunctionDescriptor.of(JAVA_INT));
        final int found;
        try {
            found = (int) version.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("vireo_native_abi_version failed", t);
        }
        if (found != ABI_VERSION) {
            throw new IllegalStateException(LIBRARY + " at " + url + " has ABI version " + found + ", expected "
                + ABI_VERSION + ": rebuild module native");
        }
    }
}
