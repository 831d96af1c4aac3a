/*
 * libvireo-native: the few things Java cannot do well, called through FFM by io.vireo.nativeaccel.
 * Every function returns 0 or a non-negative count on success and -errno on failure; none blocks.
 */
#ifndef VIREO_NATIVE_H
#define VIREO_NATIVE_H

#include <stdint.h>

#define VIREO_EXPORT __attribute__((visibility("default")))

/* Bumped when a signature changes, so the Java side can refuse a stale library. */
#define VIREO_NATIVE_ABI_VERSION 1

VIREO_EXPORT int vireo_native_abi_version(void);

/* The real-time signal used to kick vCPU threads (SIGRTMIN + 6, see vcpu_kick.c). */
VIREO_EXPORT int vireo_kick_signal(void);

/* On the vCPU thread, once, before its first KVM_RUN. Stores pthread_self() into *thread_out. */
VIREO_EXPORT int vireo_vcpu_prepare(int vcpu_fd, uint64_t *thread_out);

/* From any thread: make the vCPU's current or next KVM_RUN return -EINTR. */
VIREO_EXPORT int vireo_vcpu_kick(uint64_t thread, void *kvm_run);

/* On the vCPU thread after KVM_RUN returned -EINTR. Returns how many kick signals it consumed. */
VIREO_EXPORT int vireo_vcpu_ack(void *kvm_run);

#endif
