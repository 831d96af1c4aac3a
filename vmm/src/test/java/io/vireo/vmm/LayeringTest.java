package io.vireo.vmm;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Linker;

/**
 * The layering rules of DESIGN.md, over the main classes of every module on this classpath (panama-bindings, native,
 * dataplane, vmm). A rule broken fails the build with the offending dependencies listed.
 */
class LayeringTest {
    private static final JavaClasses MAIN = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.vireo");

    private static void check(ArchRule rule) {
        rule.check(MAIN);
    }

    @Test
    void shouldKeepGenericPciFreeOfVirtio() {
        check(noClasses().that().resideInAnyPackage("io.vireo.dataplane.pci..", "io.vireo.vmm.pci..")
            .should().dependOnClassesThat().resideInAPackage("io.vireo.dataplane.virtio..")
            .because("generic PCI knows nothing of virtio (DESIGN.md)"));
    }

    @Test
    void shouldKeepVirtioFreeOfKvm() {
        check(noClasses().that().resideInAPackage("io.vireo.dataplane.virtio..")
            .should().dependOnClassesThat().resideInAPackage("io.vireo.vmm.kvm..")
            .orShould().dependOnClassesThat().haveSimpleNameStartingWith("Kvm")
            .because("a transport sees an interrupt and a notifier, not KVM (DESIGN.md)"));
    }

    @Test
    void shouldKeepTheDataPlaneFreeOfTheVmm() {
        check(noClasses().that().resideInAPackage("io.vireo.dataplane..")
            .should().dependOnClassesThat().resideInAPackage("io.vireo.vmm..")
            .because("dataplane is the embeddable library; vmm builds on it (DESIGN.md)"));
    }

    @Test
    void shouldKeepTheMachineFreeOfTheCli() {
        check(noClasses().that().resideInAPackage("io.vireo.vmm.machine..")
            .should().dependOnClassesThat().resideInAPackage("io.vireo.vmm.cli..")
            .because("cli parses text into the typed configuration; nothing below it sees CLI words (DESIGN.md)"));
    }

    @Test
    void shouldKeepTheMachineAndTheApiFreeOfEachOtherAsLayers() {
        check(noClasses().that().resideInAPackage("io.vireo.vmm.machine..")
            .should().dependOnClassesThat().resideInAPackage("io.vireo.vmm.api..")
            .because("the machine offers DeviceControl; the API maps it to HTTP, never the other way (DESIGN.md)"));
        check(noClasses().that().resideInAPackage("io.vireo.vmm.api..")
            .should().dependOnClassesThat().resideInAPackage("io.vireo.vmm.cli..")
            .because("cli starts the API and is its client; the API sees no CLI words"));
    }

    @Test
    void shouldKeepJettyInTheApi() {
        check(noClasses().that().resideOutsideOfPackage("io.vireo.vmm.api..")
            .should().dependOnClassesThat().resideInAPackage("org.eclipse.jetty..")
            .because("HTTP is the control API's business; the machine and the data plane know nothing of it"));
    }

    @Test
    void shouldKeepKvmFreeOfTheMachine() {
        check(noClasses().that().resideInAPackage("io.vireo.vmm.kvm..")
            .should().dependOnClassesThat().resideInAnyPackage("io.vireo.vmm.machine..", "io.vireo.vmm.cli..")
            .because("kvm wraps the VM and vCPUs; the machine is assembled above it"));
    }

    @Test
    void shouldKeepSharedIoMachineryFreeOfVirtio() {
        check(noClasses().that().resideInAnyPackage("io.vireo.dataplane.agent..", "io.vireo.dataplane.uring..",
                "io.vireo.dataplane.stats..", "io.vireo.dataplane.memory..")
            .should().dependOnClassesThat().resideInAPackage("io.vireo.dataplane.virtio..")
            .because("agents, the io_uring ring, counters and guest memory serve any device (DESIGN.md)"));
    }

    @Test
    void shouldLeaveTheLinkerToTheBindings() {
        check(noClasses().that().resideOutsideOfPackage("io.vireo.sys..")
            .should().dependOnClassesThat().belongToAnyOf(Linker.class)
            .because("only panama-bindings touches Linker (DESIGN.md)"));
    }

    @Test
    void shouldHaveNoPackageCycles() {
        check(slices().matching("io.vireo.(**)").should().beFreeOfCycles());
    }
}
