/**
 * Programs that embed the data plane without the VMM (see the README's "Embedding").
 */
package io.vireo.examples;
