/**
 * Thin, typed FFM bindings: libc, KVM, io_uring, epoll, eventfd, with struct layouts checked against the C
 * headers. The only package that touches {@link java.lang.foreign.Linker}. No policy.
 */
package io.vireo.sys;
