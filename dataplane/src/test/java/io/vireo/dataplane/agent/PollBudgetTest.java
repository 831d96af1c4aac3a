package io.vireo.dataplane.agent;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PollBudgetTest {

    @Test
    void shouldStartAtTheBoundAndKeepItWhilePollingCatchesTheWork() {
        PollBudget b = new PollBudget(64_000);
        assertEquals(64_000, b.ns());
        assertEquals(AgentCounter.POLL_CAUGHT, b.onWork(10_000, false));
        assertEquals(AgentCounter.POLL_CAUGHT, b.onWork(60_000, false));
        assertEquals(64_000, b.ns());
    }

    private static void missOutOfReach(PollBudget b, int times) {
        for (int i = 0; i < times; i++) {
            b.onWork(1_000_000, true);
        }
    }

    @Test
    void shouldHalveFromTheFourthOutOfReachMissInARowDownToTheFloor() {
        PollBudget b = new PollBudget(64_000);
        missOutOfReach(b, PollBudget.SHRINK_AFTER - 1);
        assertEquals(64_000, b.ns(), "a few long gaps (a preempted vCPU) cost nothing yet");
        assertEquals(AgentCounter.POLL_SHRINKS, b.onWork(1_000_000, true));
        assertEquals(32_000, b.ns());
        missOutOfReach(b, 10);
        assertEquals(PollBudget.START_NS, b.ns(), "never 0: a polling guest's tiny gaps are still caught");
        assertEquals(AgentCounter.POLL_MISSES, b.onWork(1_000_000, true), "at the floor");
    }

    @Test
    void shouldForgetOutOfReachMissesAfterACatch() {
        PollBudget b = new PollBudget(64_000);
        for (int i = 0; i < 10; i++) {
            missOutOfReach(b, PollBudget.SHRINK_AFTER - 1);
            b.onWork(300, false);
        }
        assertEquals(64_000, b.ns(), "a polling guest preempted now and then keeps its budget");
    }

    @Test
    void shouldKeepTheBudgetWhenPollingCaughtTheWorkWhateverTheGap() {
        PollBudget b = new PollBudget(64_000);
        assertEquals(AgentCounter.POLL_CAUGHT, b.onWork(5_000_000, false));
        assertEquals(64_000, b.ns(), "no sleep: the agent's own thread was preempted, polling still paid");
    }

    @Test
    void shouldGrowToAQuarterAboveAReachableGapAtOnceCappedAtTheBound() {
        PollBudget b = new PollBudget(64_000);
        missOutOfReach(b, PollBudget.SHRINK_AFTER + 1);
        assertEquals(16_000, b.ns());
        assertEquals(AgentCounter.POLL_GROWS, b.onWork(40_000, true));
        assertEquals(50_000, b.ns(), "the gap plus a quarter");
        b.onWork(60_000, true);
        assertEquals(64_000, b.ns(), "capped");
    }

    @Test
    void shouldClimbBackFromTheFloorWhenPollingCatchesTheWork() {
        PollBudget b = new PollBudget(64_000);
        missOutOfReach(b, 10);
        assertEquals(PollBudget.START_NS, b.ns());
        assertEquals(AgentCounter.POLL_CAUGHT, b.onWork(300, false));
        assertEquals(2 * PollBudget.START_NS, b.ns(), "a catch doubles the budget");
        for (int i = 0; i < 5; i++) {
            b.onWork(300, false);
        }
        assertEquals(64_000, b.ns(), "up to the bound");
    }

    @Test
    void shouldGrowFromTheFloorByAtLeastDoubling() {
        PollBudget b = new PollBudget(64_000);
        missOutOfReach(b, 10);
        assertEquals(PollBudget.START_NS, b.ns());
        b.onWork(5_000, true);
        assertEquals(8_000, b.ns(), "at least double");
    }

    @Test
    void shouldNeverPollInEventMode() {
        PollBudget b = new PollBudget(0);
        b.onWork(1_000, true);
        assertEquals(0, b.ns());
        assertThrows(IllegalArgumentException.class, () -> new PollBudget(-1));
    }
}
