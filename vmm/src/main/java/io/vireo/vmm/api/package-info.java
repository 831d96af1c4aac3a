/**
 * The control API: HTTP/1.1 with JSON bodies over a Unix-domain socket ({@code vireo run --api-socket PATH}), served
 * by Jetty on threads of its own (never a vCPU's or a queue agent's), and its client ({@code vireo ctl}).
 */
package io.vireo.vmm.api;
