/**
 * The VMM's shared vocabulary: exit statuses and the exception that carries one.
 */
package io.vireo.vmm;
