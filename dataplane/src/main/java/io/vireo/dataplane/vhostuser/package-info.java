/**
 * The vhost-user transport. Back end side: a UNIX-socket server that serves a polled virtio device to one front end
 * at a time, its protocol layouts and refusals, the front end's guest RAM as mapped here, and the vrings with their
 * kick and call fds. Front end side: {@link io.vireo.dataplane.vhostuser.VhostUserFrontEnd} (the connection, every
 * reply checked) and {@link io.vireo.dataplane.vhostuser.VhostUserDevice} (a virtio device of any type served by
 * another process). Both share {@link io.vireo.dataplane.vhostuser.VhostUserLayout} and the SCM_RIGHTS calls of
 * {@code io.vireo.sys.Sockets}.
 */
package io.vireo.dataplane.vhostuser;
