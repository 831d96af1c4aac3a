package io.vireo.sys;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;

/** Helpers for the {@code *Layout} classes: offsets by field path, so no offset is typed by hand. */
final class Layouts {

    private Layouts() {
    }

    /**
     * @param layout the struct
     * @param path   field names from the outermost to the innermost member, e.g. {@code "io", "port"}
     * @return the byte offset of that member
     */
    static long offset(final GroupLayout layout, final String... path) {
        final MemoryLayout.PathElement[] elements = new MemoryLayout.PathElement[path.length];
        for (int i = 0; i < path.length; i++) {
            elements[i] = MemoryLayout.PathElement.groupElement(path[i]);
        }
        return layout.byteOffset(elements);
    }
}
