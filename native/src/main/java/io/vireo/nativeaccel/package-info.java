/**
 * The few things Java cannot do well, in a small C library loaded through FFM (the vCPU kick); each entry has a
 * measured reason.
 */
package io.vireo.nativeaccel;
