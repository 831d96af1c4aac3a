package io.vireo.nativeaccel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Loading the library, and the message when it is not there. */
class NativeAccelTest {

    @Test
    void shouldLoadTheLibraryBuiltByThisModule() {
        assertTrue(NativeAccel.isAvailable(), () -> "not loaded: " + NativeAccel.failure());
        assertTrue(NativeAccel.lookup().find("vireo_vcpu_kick").isPresent());
    }

    @Test
    void shouldSayWhatIsMissingWhenTheResourceIsAbsent() {
        final IllegalStateException e = assertThrows(IllegalStateException.class,
            () -> NativeAccel.load(NativeAccelTest.class.getClassLoader(), "io/vireo/nativeaccel/nope/libx.so"));
        assertEquals("libvireo-native.so not found on the class path as io/vireo/nativeaccel/nope/libx.so: build"
            + " module native (its build runs make -C native/src/main/c) or put vireo-native.jar on the class path",
            e.getMessage());
    }
}
