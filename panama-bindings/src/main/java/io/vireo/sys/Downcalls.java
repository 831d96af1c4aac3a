package io.vireo.sys;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * Downcall handles into a library other than libc (Vireo's own {@code libvireo-native.so}), so that only this
 * module touches {@link java.lang.foreign.Linker}. The functions bound this way report errors as return values
 * ({@code -errno}), so no errno capture is set up.
 */
public final class Downcalls {

    private Downcalls() {
    }

    /**
     * @param lookup     the library, e.g. from {@code SymbolLookup.libraryLookup}
     * @param library    the library's name, for the error message
     * @param name       the C symbol
     * @param descriptor its C signature
     * @return the handle
     * @throws UnsatisfiedLinkError naming the library and symbol when it is missing
     */
    @SuppressWarnings("restricted")
    public static MethodHandle bind(final SymbolLookup lookup, final String library, final String name,
        final FunctionDescriptor descriptor) {
        final MemorySegment symbol = lookup.find(name)
            .orElseThrow(() -> new UnsatisfiedLinkError(library + " has no symbol " + name));
        return Native.LINKER.downcallHandle(symbol, descriptor);
    }
}
