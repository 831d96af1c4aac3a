/**
 * The io_uring ring itself (SQ, CQ and SQEs mapped as segments, driven without liburing), for any back end that
 * submits through io_uring. Internal: not exported by the module; back ends wrap it.
 */
package io.vireo.dataplane.uring;
