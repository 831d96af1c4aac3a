/**
 * The command line: parses text into the typed configuration of {@code machine}, prints reports; nothing below it
 * sees CLI words.
 */
package io.vireo.vmm.cli;
