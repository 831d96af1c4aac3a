/**
 * Typed counters: a {@link io.vireo.dataplane.stats.Counter} enum per owner, one
 * {@link io.vireo.dataplane.stats.Counters} set per queue/device/agent over swappable
 * {@link io.vireo.dataplane.stats.CounterSlots}, and the sink/source pair reports are written through.
 */
package io.vireo.dataplane.stats;
