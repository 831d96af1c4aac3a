/**
 * The launcher's logging: one-line formatting, the asynchronous handler that keeps guest-fault lines off the queue
 * agents' threads, and the console they are written to.
 */
package io.vireo.vmm.log;
