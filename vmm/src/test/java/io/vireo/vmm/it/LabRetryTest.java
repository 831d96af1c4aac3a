package io.vireo.vmm.it;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The retry rules of the nested-lab tests, on crash banners and lab statuses of the kinds seen (no lab needed). */
class LabRetryTest {

    private static String banner(String signal, String frame) {
        return """
            starting
            #
            # A fatal error has been detected by the Java Runtime Environment:
            #
            #  %s (0x4) at pc=0x00007f3c2d1e2a44, pid=312, tid=340
            #
            # JRE version: OpenJDK Runtime Environment Temurin-25.0.3+9 (25.0.3+9) (build 25.0.3+9-LTS)
            # Problematic frame:
            # %s
            #
            # An error report file with more information is saved as:
            # /nonexistent/hs_err_pid312.log
            """.formatted(signal, frame);
    }

    private static VireoProcess.Result crash(String signal, String frame) {
        return new VireoProcess.Result(134, banner(signal, frame), "");
    }

    @Test
    void shouldRetryASigillOrSigsegvInCompiledJdkCode() {
        assertNotNull(LabRetry.environmentFailure(crash("SIGILL",
            "J 1734 c1 java.util.concurrent.ConcurrentHashMap.putVal(Ljava/lang/Object;Ljava/lang/Object;Z)"
                + "Ljava/lang/Object; java.base@25.0.3 (432 bytes) @ 0x00007f3c2d1e2a44 [0x00007f3c2d1e2a40+0x4]")));
        assertNotNull(LabRetry.environmentFailure(crash("SIGSEGV",
            "J 88% c2 jdk.internal.loader.BuiltinClassLoader.loadClassOrNull(Ljava/lang/String;Z)Ljava/lang/Class;"
                + " java.base@25.0.3 (143 bytes) @ 0x00007f3c2d1e2a44 [0x00007f3c2d1e2a40+0x4]")));
    }

    @Test
    void shouldNotRetryACrashInVireosOwnFramesOrNativeCode() {
        assertNull(LabRetry.environmentFailure(crash("SIGSEGV",
            "J 812 c2 io.vireo.dataplane.agent.QueueAgent.doWork()I (96 bytes) @ 0x00007f3c2d1e2a44")));
        assertNull(LabRetry.environmentFailure(crash("SIGSEGV", "C  [libvireo-native.so+0x1234]  vireo_kick+0x14")));
        assertNull(LabRetry.environmentFailure(crash("SIGSEGV", "V  [libjvm.so+0x123632d]  Unsafe_PutLong+0xad")));
        // NestedLabFaultTest's injected store to address 16, once Unsafe.putLongUnaligned is compiled.
        assertNull(LabRetry.environmentFailure(crash("SIGSEGV", "J 1001 c1 jdk.internal.misc.Unsafe.putLongUnaligned("
            + "Ljava/lang/Object;JJ)V java.base@25.0.3 (157 bytes) @ 0x00007f5b34515e57 [0x00007f5b34515a00+0x457]")));
        assertNull(LabRetry.environmentFailure(crash("SIGSEGV", "J 2210 c2 jdk.internal.misc.ScopedMemoryAccess"
            + ".copyMemory(Ljdk/internal/foreign/MemorySessionImpl;)V java.base@25.0.3")));
        assertNull(LabRetry.environmentFailure(crash("SIGSEGV", "C  [libc.so.6+0x16f0bd]")));
        assertNull(LabRetry.environmentFailure(crash("SIGSEGV",
            "j  java.lang.String.hashCode()I+0 java.base@25.0.3")));
        assertNull(LabRetry.environmentFailure(crash("SIGBUS",
            "J 1734 c1 java.util.HashMap.putVal(ILjava/lang/Object;Ljava/lang/Object;ZZ)Ljava/lang/Object;")));
    }

    @Test
    void shouldRetryAnIllegalInstructionInCompiledJdkCodeWhateverTheClass() {
        // From a fresh-clone CI run: a bad address never makes SIGILL, so the FFM class does not make it Vireo's.
        String where = "J 1903 c1 jdk.internal.foreign.layout.ValueLayouts$AbstractValueLayout.varHandle()"
            + "Ljava/lang/invoke/VarHandle; java.base@25.0.3 (24 bytes) @ 0x00007f06c06cb422"
            + " [0x00007f06c06cb400+0x0000000000000022]";
        assertNotNull(LabRetry.environmentFailure(crash("SIGILL", where)));
        assertNull(LabRetry.environmentFailure(crash("SIGSEGV", where)), "a fault there may be a bad address");
    }

    @Test
    void shouldRetryAFaultAtTheFirstInstructionOfCompiledJdkCodeEvenOnMemoryAccessClasses() {
        // Both from fresh-clone CI runs: the pc is the method's start, where only the stack bang runs.
        assertNotNull(LabRetry.environmentFailure(crash("SIGSEGV", "J 1958 c1 java.lang.invoke.VarHandleSegmentAsShorts"
            + ".set(Ljava/lang/invoke/VarHandle;Ljava/lang/Object;JS)V java.base@25.0.3 (16 bytes) @ 0x00007f0e0c746e00"
            + " [0x00007f0e0c746e00+0x0000000000000000]")));
        assertNotNull(LabRetry.environmentFailure(crash("SIGSEGV", "J 9 c1 jdk.internal.util.Preconditions.checkIndex("
            + "IILjava/util/function/BiFunction;)I java.base@25.0.3 (18 bytes) @ 0x00007faf984cc400"
            + " [0x00007faf984cc400+0x0000000000000000]")));
        // Further into the same method, a fault is the caller's bad address, as before.
        assertNull(LabRetry.environmentFailure(crash("SIGSEGV", "J 1958 c1 java.lang.invoke.VarHandleSegmentAsShorts"
            + ".set(Ljava/lang/invoke/VarHandle;Ljava/lang/Object;JS)V java.base@25.0.3 (16 bytes) @ 0x00007f0e0c746e2c"
            + " [0x00007f0e0c746e00+0x000000000000002c]")));
        // Not at the start: the pc and the method's start differ.
        assertNull(LabRetry.environmentFailure(crash("SIGSEGV", "J 1001 c1 jdk.internal.misc.Unsafe.putLongUnaligned("
            + "Ljava/lang/Object;JJ)V java.base@25.0.3 (157 bytes) @ 0x00007f5b34515e57 [0x00007f5b34515e00+0x0]")));
        // Vireo's own code at its first instruction stays Vireo's.
        assertNull(LabRetry.environmentFailure(crash("SIGSEGV", "J 812 c2 io.vireo.dataplane.agent.QueueAgent.doWork()I"
            + " (96 bytes) @ 0x00007f3c2d1e2a40 [0x00007f3c2d1e2a40+0x0000000000000000]")));
    }

    @Test
    void shouldNotRetryACrashWithLibvireoNativeOnTheCrashingStack() {
        String report = banner("SIGSEGV", "J 1734 c1 java.lang.Thread.start()V java.base@25.0.3") + """
            Native frames: (J=compiled Java code, j=interpreted, Vv=VM code, C=native code)
            J 1734 c1 java.lang.Thread.start()V java.base@25.0.3
            C  [libvireo-native.so+0x11a9]  vireo_vcpu_kick+0x29
            """;
        assertNull(LabRetry.jitCrashUnderTcg(report));
        assertNotNull(LabRetry.jitCrashUnderTcg(report.replace("libvireo-native.so", "libc.so.6")));
    }

    @Test
    void shouldRetryOnlyWhenTheLabSaysL1StoppedAnswering() {
        assertNotNull(LabRetry.environmentFailure(new VireoProcess.Result(125, "", "nested-lab: L1 stopped answering:"
            + " its last heartbeat came 140 s before the 300 s timeout\n")));
        assertNull(LabRetry.environmentFailure(new VireoProcess.Result(125, "", "nested-lab: QEMU failed\n")));
        assertNull(LabRetry.environmentFailure(new VireoProcess.Result(124, "", "nested-lab: timed out after 300 s"
            + " (L1 still answering: last heartbeat 1 s before)\n")));
        // What pty_shell.py used to return for any failure before the prompt, Vireo's own errors included.
        assertNull(LabRetry.environmentFailure(new VireoProcess.Result(90, "", "")));
        assertNull(LabRetry.environmentFailure(new VireoProcess.Result(8, "", "vireo: internal error\n")));
    }

    @Test
    void shouldNameTheFrameItRetriedFor() {
        assertEquals("L1's JVM died of SIGILL in compiled JDK code (J 5 c1 java.lang.Object.<init>()V)",
            LabRetry.environmentFailure(crash("SIGILL", "J 5 c1 java.lang.Object.<init>()V")));
    }

    @Test
    void shouldRetryACrashOfTheJitCompilerThreadButNotOneWithLibvireoOnItsStack() {
        // From a lab run on this host: C2 itself died under TCG while installing a compiled method.
        String report = """
            # A fatal error has been detected by the Java Runtime Environment:
            #
            #  SIGSEGV (0xb) at pc=0x00007f7bc1ed8814, pid=124, tid=146
            #
            # Problematic frame:
            # V  [libjvm.so+0xde9814]  Method::klass_name() const+0x4
            #
            Current thread (0x00007f7bbc073250):  JavaThread "C2 CompilerThread0" daemon [_thread_in_vm, id=146]

            Native frames: (J=compiled Java code, j=interpreted, Vv=VM code, C=native code)
            V  [libjvm.so+0xde9814]  Method::klass_name() const+0x4
            V  [libjvm.so+0xe300cb]  nmethod::post_compiled_method(CompileTask*)+0x4b
            V  [libjvm.so+0x7443a1]  CompileBroker::invoke_compiler_on_method(CompileTask*)+0xb01
            V  [libjvm.so+0x745688]  CompileBroker::compiler_thread_loop()+0x518
            """;
        assertEquals("L1's JVM died of SIGSEGV in its own JIT compiler (C2 CompilerThread0, "
            + "V  [libjvm.so+0xde9814]  Method::klass_name() const+0x4)", LabRetry.jitCrashUnderTcg(report));
        assertNull(LabRetry.jitCrashUnderTcg(report.replace("\"C2 CompilerThread0\"", "\"vireo-agent-disk0\"")));
        assertNull(LabRetry.jitCrashUnderTcg(report.replace("CompileBroker::compiler_thread_loop()+0x518",
            "Java_io_vireo_x [libvireo-native.so+0x10]")));
    }

    @Test
    void shouldFindTheCompileBrokerDeepInAC1Stack() {
        // From a fresh-clone CI run (fio test): C1 died under TCG resolving a call while it parsed VcpuLoop.handleExit;
        // CompileBroker is the 15th frame.
        String report = """
            #  SIGSEGV (0xb) at pc=0x00007ff3ea43e879, pid=128, tid=141
            # Problematic frame:
            # V  [libjvm.so+0x11a1879]  Symbol::as_C_string() const+0x9
            Current thread (0x00007ff3e4076510):  JavaThread "C1 CompilerThread0" daemon [_thread_in_vm, id=141]

            Native frames: (J=compiled Java code, j=interpreted, Vv=VM code, C=native code)
            V  [libjvm.so+0x11a1879]  Symbol::as_C_string() const+0x9
            V  [libjvm.so+0xde96da]  Method::print_external_name(outputStream*, Klass*, Symbol*, Symbol*)+0x2a
            V  [libjvm.so+0xcdca45]  LinkResolver::resolve_method(LinkInfo const&, Bytecodes::Code, JavaThread*)+0x185
            V  [libjvm.so+0xcdf984]  LinkResolver::linktime_resolve_virtual_method(LinkInfo const&, JavaThread*)+0x34
            V  [libjvm.so+0xcdfc2b]  LinkResolver::linktime_resolve_virtual_method_or_null(LinkInfo const&)+0x2b
            V  [libjvm.so+0x68d929]  ciEnv::lookup_method(ciInstanceKlass*, ciKlass*, Symbol*, Symbol*)+0x89
            V  [libjvm.so+0x68db96]  ciEnv::get_method_by_index_impl(constantPoolHandle const&, int)+0x1f6
            V  [libjvm.so+0x6bd11d]  ciBytecodeStream::get_method(bool&, ciSignature**)+0xfd
            V  [libjvm.so+0x5ad843]  GraphBuilder::invoke(Bytecodes::Code)+0x33
            V  [libjvm.so+0x5af2a5]  GraphBuilder::iterate_bytecodes_for_block(int)+0x565
            V  [libjvm.so+0x5b3ef9]  GraphBuilder::iterate_all_blocks(bool)+0x69
            V  [libjvm.so+0x5b6315]  GraphBuilder::GraphBuilder(Compilation*, IRScope*)+0x6a5
            V  [libjvm.so+0x5bb672]  IRScope::IRScope(Compilation*, IRScope*, int, ciMethod*, int, bool)+0x182
            V  [libjvm.so+0x5bb718]  IR::IR(Compilation*, ciMethod*, int)+0x88
            V  [libjvm.so+0x593f42]  Compilation::build_hir() [clone .part.0]+0xe2
            V  [libjvm.so+0x595500]  Compilation::compile_java_method()+0x210
            V  [libjvm.so+0x7443a1]  CompileBroker::invoke_compiler_on_method(CompileTask*)+0xb01
            V  [libjvm.so+0x745688]  CompileBroker::compiler_thread_loop()+0x518
            """;
        assertEquals("L1's JVM died of SIGSEGV in its own JIT compiler (C1 CompilerThread0, "
            + "V  [libjvm.so+0x11a1879]  Symbol::as_C_string() const+0x9)", LabRetry.jitCrashUnderTcg(report));
    }

    @Test
    void shouldRetryAFaultInsideTheJumpOverAMethodsEntry() {
        // From a fresh-clone CI run: the warm-up thread ran +0x2 of a method whose entry HotSpot had patched.
        String where = "J 1149 c1 java.lang.invoke.VarHandleSegmentAsInts.get(Ljava/lang/invoke/VarHandle;"
            + "Ljava/lang/Object;J)I java.base@25.0.3 (14 bytes) @ 0x00007fbda0601f82 "
            + "[0x00007fbda0601f80+0x0000000000000002]";
        String report = "#  SIGSEGV (0xb) at pc=0x00007fbda0601f82, pid=129, tid=159\n# Problematic frame:\n# " + where
            + "\n\nInstructions: (pc=0x00007fbda0601f82)\n"
            + "  0x00007fbda0601f72:   00 00 00 00 00 00 00 00 00 00 00 00 00 00 e9 db\n"
            + "=>0x00007fbda0601f82:   a2 40 07 fe ff 55 48 81 ec 00 02 00 00 90 41 81\n";
        // The dump's first line ends with the method's first two bytes (0x...f80, 0x...f81): e9 db.
        assertEquals("L1's JVM died of SIGSEGV at 0x7fbda0601f82, inside the jump (e9) at 0x7fbda0601f80 over a "
            + "compiled method's entry (" + where + ")", LabRetry.jitCrashUnderTcg(report));
        // The same bytes at the pc but no jump at the method's start: Vireo's FFM accessor, not retried.
        assertNull(LabRetry.jitCrashUnderTcg(report.replace("e9 db\n", "00 db\n")));
    }

    @Test
    void shouldRetryAnIllegalInstructionJustPastTheJumpOverAMethodsVerifiedEntry() {
        // From a fresh-clone CI run: the disk0 agent ran +0x25 of c1 IoUring.cqeRes; the jump at +0x20 replaced the
        // first five bytes of the 7-byte stack bang, whose last two (fe ff) are no instruction.
        String where = "J 1244 c1 io.vireo.dataplane.uring.IoUring.cqeRes(I)I (33 bytes) @ 0x00007fe190646725 "
            + "[0x00007fe190646700+0x0000000000000025]";
        String report = "#  SIGILL (0x4) at pc=0x00007fe190646725, pid=130, tid=166\n# Problematic frame:\n# " + where
            + "\n\nInstructions: (pc=0x00007fe190646725)\n"
            + "  0x00007fe190646715:   08 44 3b 50 08 0f 85 c0 c9 40 07 e9 3b 5b 3c 07\n"
            + "=>0x00007fe190646725:   fe ff 55 48 81 ec 70 02 00 00 90 41 81 7f 20 01\n";
        assertEquals("L1's JVM died of SIGILL at 0x7fe190646725, inside the jump (e9) at 0x7fe190646720 over a "
            + "compiled method's entry (" + where + ")", LabRetry.jitCrashUnderTcg(report));
        // A data fault at +5 is not this: an instruction may start there.
        assertNull(LabRetry.jitCrashUnderTcg(report.replace("SIGILL (0x4)", "SIGSEGV (0xb)")));
    }

    @Test
    void shouldRetryWhenL1sKernelCrashedButNotWhenL1SimplyStopped() {
        // From a fresh-clone CI run: L1's kernel hit a stack guard page in its #GP handler on Vireo's vCPU thread.
        String oops = "[   53.706838] BUG: TASK stack guard page was hit at 0000000068302e2c\n"
            + "nested-lab: L1 stopped without reporting a status (run with --debug to see its console)\n";
        assertEquals("L1's kernel crashed ([   53.706838] BUG: TASK stack guard page was hit at 0000000068302e2c)",
            LabRetry.environmentFailure(new VireoProcess.Result(125, "", oops)));
        assertNull(LabRetry.environmentFailure(new VireoProcess.Result(125, "",
            "nested-lab: L1 stopped without reporting a status (run with --debug to see its console)\n")));
    }

    @Test
    void shouldRetryWhenTheLabStoppedL1OnAnOopsWhileItsOtherCpuStillAnswered() {
        // From a fresh-clone CI run: the oops on vCPU 0 of L1, L1's other CPU kept the heartbeat going until the
        // timeout. nested-lab.sh now stops L1 on the oops and says so.
        String stderr = "[   55.987635] BUG: TASK stack guard page was hit at 0000000063fd197a\n"
            + "[   55.987635] stack guard page: 0000 [#1] PREEMPT SMP NOPTI\n"
            + "nested-lab: L1's kernel crashed: stack guard page: 0000 [#1] PREEMPT SMP NOPTI\n";
        assertEquals("nested-lab: L1's kernel crashed: stack guard page: 0000 [#1] PREEMPT SMP NOPTI",
            LabRetry.environmentFailure(new VireoProcess.Result(125, "", stderr)));
    }

    @Test
    void shouldRetryAJumpIntoNoCodeOnAThreadRunningJavaButNotFromVireosNativeCode() {
        // From a fresh-clone CI run (L1, TCG): the warm-up thread jumped to a MemberName in the Java heap.
        String report = """
            #  SIGSEGV (0xb) at pc=0x00000000ede47c88, pid=128, tid=168
            # Problematic frame:
            # C  0x00000000ede47c88
            Current thread (0x00007f6ed8107850):  JavaThread "vireo-warmup" daemon [_thread_in_Java, id=168, \
            stack(0x00007f6ec0085000,0x00007f6ec0185000) (1024K)]
            Native frames: (J=compiled Java code, j=interpreted, Vv=VM code, C=native code)
            C  0x00000000ede47c88

            siginfo: si_signo: 11 (SIGSEGV), si_code: 2 (SEGV_ACCERR), si_addr: 0x00000000ede47c88
            """;
        assertEquals("L1's JVM died of SIGSEGV on an instruction fetch at 0x00000000ede47c88, in no code "
            + "(vireo-warmup)", LabRetry.jitCrashUnderTcg(report));
        // A data fault at a bare pc (the code read a bad address) is not a wild jump.
        assertNull(LabRetry.jitCrashUnderTcg(report.replace("si_addr: 0x00000000ede47c88", "si_addr: 0x0")));
        // Nor a thread in native code, nor one with Vireo's native library on its stack.
        assertNull(LabRetry.jitCrashUnderTcg(report.replace("_thread_in_Java", "_thread_in_native")));
        assertNull(LabRetry.jitCrashUnderTcg(report.replace("Native frames: (J=compiled Java code, j=interpreted, "
            + "Vv=VM code, C=native code)\n", "Native frames: (J=compiled Java code)\nC  [libvireo-native.so+0x11a9]"
            + "  vireo_vcpu_kick+0x29\n")));
    }

    @Test
    void shouldRetryAnL2TripleFaultButNoOtherExitOfVireos() {
        // From a fresh-clone CI run: the 300-disk Linux guest triple-faulted 48 s into the lab run.
        String stderr = "Picked up JAVA_TOOL_OPTIONS: -XX:ErrorFile=/tmp/vireo-lab/hs_err/hs_err_pid%p.log\n"
            + "vireo: vcpu0: triple fault (KVM_EXIT_SHUTDOWN)\n";
        assertEquals("the L2 guest triple-faulted in the lab (vireo: vcpu0: triple fault "
            + "(KVM_EXIT_SHUTDOWN))", LabRetry.environmentFailure(new VireoProcess.Result(6, "", stderr)));
        // With the registers line, the reason keeps it.
        String withRegisters = "vireo: warning: vcpu0 at the triple fault: rip=0x1 rsp=0x2\n" + stderr;
        assertEquals("the L2 guest triple-faulted in the lab (vireo: vcpu0: triple fault "
            + "(KVM_EXIT_SHUTDOWN); at the triple fault: rip=0x1 rsp=0x2)", LabRetry.environmentFailure(
                new VireoProcess.Result(6, "", withRegisters)));
        // With L1's record of the shutdown exit (lab-init.sh), the reason keeps that too.
        String withExit = withRegisters + "nested-lab: L2 shutdown exit: vcpu0-812 [001] d..1. 61.2: "
            + "kvm_exit: vcpu 0 reason shutdown rip 0xffffffff81a01234 info1 0x0 info2 0x0\n";
        assertEquals("the L2 guest triple-faulted in the lab (vireo: vcpu0: triple fault "
            + "(KVM_EXIT_SHUTDOWN); at the triple fault: rip=0x1 rsp=0x2; L1's KVM: vcpu0-812 [001] d..1. "
            + "61.2: kvm_exit: vcpu 0 reason shutdown rip 0xffffffff81a01234 info1 0x0 info2 0x0)",
            LabRetry.environmentFailure(new VireoProcess.Result(6, "", withExit)));
        // Status 6 without the line, or the line with another status, is not it.
        assertNull(LabRetry.environmentFailure(new VireoProcess.Result(6, "", "vireo: internal error\n")));
        assertNull(LabRetry.environmentFailure(new VireoProcess.Result(8, "", stderr)));
    }

    @Test
    void shouldRetryADataFaultAtAJumpButNotAFetchFaultAtItsTarget() {
        // From a lab run (L1, TCG): a c1 method of Vireo's faulted at its verified entry, just patched with a jump.
        String report = """
            #  SIGSEGV (0xb) at pc=0x00007f7b1c6e38a0, pid=129, tid=167
            # Problematic frame:
            # J 1902 c1 io.vireo.dataplane.memory.GuestMemory.regionIndex(JJ)I (85 bytes) @ 0x00007f7b1c6e38a0 \
            [0x00007f7b1c6e3880+0x0000000000000020]
            Current thread (0x00007f7b34119cf0):  JavaThread "vireo-warmup" daemon [_thread_in_Java, id=167]
            siginfo: si_signo: 11 (SIGSEGV), si_code: 1 (SEGV_MAPERR), si_addr: 0xfffffffffffe0782
            Instructions: (pc=0x00007f7b1c6e38a0)
              0x00007f7b1c6e3890:   00 00 44 8b 56 08 44 3b 50 08 0f 85 40 f8 36 07
            =>0x00007f7b1c6e38a0:   e9 bb 89 32 07 fe ff 55 48 83 ec 40 41 81 7f 20
              0x00007f7b1c6e38b0:   01 00 00 00 74 05 e8 c5 af 35 07 48 b8 50 28 8a
            """;
        assertEquals("L1's JVM died of SIGSEGV on data address 0xfffffffffffe0782 at a jump (e9) to 0x7f7b23a0c260, "
            + "which touches no data (J 1902 c1 io.vireo.dataplane.memory.GuestMemory.regionIndex(JJ)I (85 bytes) @ "
            + "0x00007f7b1c6e38a0 [0x00007f7b1c6e3880+0x0000000000000020])", LabRetry.jitCrashUnderTcg(report));
        // A fault on fetching the jump's target is a real one; so is any fault at another instruction.
        assertNull(LabRetry.jitCrashUnderTcg(report.replace("0xfffffffffffe0782", "0x00007f7b23a0c260")));
        assertNull(LabRetry.jitCrashUnderTcg(report.replace("=>0x00007f7b1c6e38a0:   e9",
            "=>0x00007f7b1c6e38a0:   89")));
    }

    @Test
    void shouldRetryATimeoutWhoseDiagnosisShowsAStuckL1Cpu() {
        String stderr = "nested-lab: timed out after 300 s (L1 still answering: last heartbeat 2 s before)\n"
            + "nested-lab: what L1 was doing 45 s before the timeout (linux/lab-diag.sh):\n"
            + "diag: stuck in the L2 guest: vcpu1 (tid 174) ran 1000 ms with no VM exit\n"
            + "nested-lab: L1's CPU got stuck: stuck in the L2 guest: vcpu1 (tid 174) ran 1000 ms with no VM exit\n";
        assertEquals("nested-lab: L1's CPU got stuck: stuck in the L2 guest: vcpu1 (tid 174) ran 1000 ms with no VM "
            + "exit", LabRetry.environmentFailure(new VireoProcess.Result(125, "", stderr)));
        // A plain timeout (the diagnosis found nothing of the kind) stays a failure.
        assertNull(LabRetry.environmentFailure(new VireoProcess.Result(124, "", stderr.lines().limit(3)
            .map(l -> l + "\n").reduce("", String::concat))));
    }

    @Test
    void shouldReadTheCrashReportWhenADriverScriptExitedWithItsOwnStatus() {
        String stdout = "ADD 1\n# A fatal error has been detected by the Java Runtime Environment:\n"
            + "#  SIGILL (0x4) at pc=0x00007f1, pid=1, tid=2\n# Problematic frame:\n"
            + "# J 125 c1 java.lang.Math.max(II)I java.base@25.0.3 (11 bytes) @ 0x00007f36dc4e0704 "
            + "[0x00007f36dc4e0700+0x0000000000000004]\nVMM-EXIT 134\n";
        assertEquals(LabRetry.environmentFailure(new VireoProcess.Result(134, stdout, "")),
            LabRetry.environmentFailure(new VireoProcess.Result(1, stdout, "")));
        assertNotNull(LabRetry.environmentFailure(new VireoProcess.Result(1, stdout, "")));
        assertNull(LabRetry.environmentFailure(new VireoProcess.Result(0, stdout, "")));
    }
}
