/**
 * The vhost-user transport, back end side: a UNIX-socket server that serves a polled virtio device to one front end
 * at a time, its protocol layouts and refusals, the front end's guest RAM as mapped here, and the vrings with their
 * kick and call fds.
 */
package io.vireo.dataplane.vhostuser;
