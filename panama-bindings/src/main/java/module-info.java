/**
 * Vireo's FFM bindings: typed downcalls into libc, KVM and io_uring, and the struct layouts they take. The one
 * package is exported: the data plane's public types use its errors ({@code SysException}) and layouts.
 */
module io.vireo.sys {
    exports io.vireo.sys;
}
