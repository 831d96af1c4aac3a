package io.vireo.dataplane.virtio.queue;

/**
 * A rule of the virtio specification that guest input broke, as the error enums of the queue and the devices carry
 * it: the constant's name, the section it enforces and a short reason, ready for a one-line log message without
 * allocating on the hot path (the strings are built once, with the enum).
 */
public interface GuestFault {

    /** The constant's name, e.g. {@code AVAIL_IDX_CORRUPT}. */
    String name();

    /** The rule enforced, e.g. {@code "virtio 1.2 §2.7.6"}; empty when no rule applies (not a guest fault). */
    String spec();

    /** Why, in a few words, e.g. {@code "avail idx moved by more than the queue size"}. */
    String reason();

    /** Name, rule and reason: {@code AVAIL_IDX_CORRUPT (virtio 1.2 §2.7.6) avail idx moved by more than ...}. */
    default String describe() {
        return spec().isEmpty() ? name() + " " + reason() : name() + " (" + spec() + ") " + reason();
    }

    /** {@code "virtio 1.2 §" + section}, or empty for no section: for the enums' constructors. */
    static String spec(String section) {
        return section.isEmpty() ? "" : "virtio 1.2 §" + section;
    }
}
