package io.vireo.dataplane.agent;

import io.vireo.dataplane.stats.Counters;

import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.NanoClock;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent's duty cycle driven by hand, the Aeron way: {@link QueueAgent#doWork()} called from the test thread with a
 * clock the test moves and a sleeper that records each sleep instead of blocking. No threads, no sleeps.
 */
class QueueAgentTest {
    private static final long BUDGET_NS = 50_000;

    /** A clock the test moves. */
    private static final class HandClock implements NanoClock {
        long now = 1_000_000;

        @Override
        public long nanoTime() {
            return now;
        }
    }

    /** A queue whose work is scripted: each poll() takes the next value (0 when none), events are recorded. */
    private static class ScriptedQueue implements PolledQueue {
        final ArrayDeque<Integer> work = new ArrayDeque<>();
        final List<String> events = new ArrayList<>();
        boolean pendingAtArm;
        int inFlight;
        /** Each poll that does work interrupts the guest (an interrupt-driven guest's queue). */
        boolean interrupts;
        boolean interrupted;

        @Override
        public int poll() {
            Integer w = work.poll();
            if (w != null && interrupts) {
                interrupted = true;
            }
            return w == null ? 0 : w;
        }

        @Override
        public boolean takeInterrupted() {
            boolean was = interrupted;
            interrupted = false;
            return was;
        }

        @Override
        public void suppressNotifications() {
            events.add("suppress");
        }

        @Override
        public boolean armNotifications() {
            events.add("arm");
            boolean p = pendingAtArm;
            pendingAtArm = false;
            if (p) {
                work.add(1);
            }
            return p;
        }

        @Override
        public int inFlight() {
            return inFlight;
        }

        @Override
        public int kickEventFd() {
            return 10;
        }

        @Override
        public int completionEventFd() {
            return 11;
        }

        @Override
        public Counters<AgentCounter> counters() {
            return new Counters<>(AgentCounter.class);
        }
    }

    /** Records every sleep; "wakes" at once, after running what the test scheduled for that sleep. */
    private static final class RecordingSleeper implements AgentSleeper {
        final List<Integer> watched = new ArrayList<>();
        final List<Integer> timeouts = new ArrayList<>();
        final ArrayDeque<Runnable> onSleep = new ArrayDeque<>();
        int sleeps;
        int wakes;
        boolean closed;

        @Override
        public void watch(int fd) {
            watched.add(fd);
        }

        @Override
        public int await(Signals signals, int timeoutMs) {
            sleeps++;
            timeouts.add(timeoutMs);
            Runnable r = onSleep.poll();
            if (r != null) {
                r.run();
            }
            signals.signalled(10, 1);
            return 1;
        }

        @Override
        public boolean unwatch(int fd) {
            return watched.remove(Integer.valueOf(fd));
        }

        @Override
        public void wake() {
            wakes++;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private final HandClock clock = new HandClock();
    private final ScriptedQueue queue = new ScriptedQueue();
    private final RecordingSleeper sleeper = new RecordingSleeper();
    private final QueueAgent agent = new QueueAgent("t", new PollBudget(BUDGET_NS), -1, clock, sleeper);

    QueueAgentTest() {
        agent.add(queue);
        agent.onStart();
    }

    private long counter(String name) {
        long[] v = {-1};
        agent.report((n, value) -> {
            if (n.equals(name)) {
                v[0] = value;
            }
        });
        return v[0];
    }

    @Test
    void shouldWatchTheKickAndCompletionFdsOfEachQueue() {
        assertEquals(List.of(10, 11), sleeper.watched);
    }

    @Test
    void shouldSpinUntilThePollBudgetExpiresThenArmAndSleep() {
        queue.work.add(3);
        assertEquals(3, agent.doWork());
        clock.now += 5_000;
        assertEquals(0, agent.doWork(), "the cycle that did the work took 5 us (cold code): idle from its end");
        clock.now += BUDGET_NS - 1;
        assertEquals(0, agent.doWork(), "within the budget: spin");
        assertEquals(0, sleeper.sleeps);
        assertFalse(queue.events.contains("arm"), "no re-arm while polling");
        clock.now += 1;
        assertEquals(1, agent.doWork(), "budget spent: the sleep counts as work");
        assertEquals(1, sleeper.sleeps);
        assertEquals(List.of("arm", "suppress"), queue.events, "armed before the sleep, suppressed after it");
        assertEquals(1, counter("idle_sleeps"));
        assertEquals(1, counter("kicks"));
        assertEquals(List.of(-1), sleeper.timeouts, "nothing in flight: no time limit");
    }

    @Test
    void shouldBoundTheSleepWhileRequestsAreInFlight() {
        queue.inFlight = 2;
        clock.now += BUDGET_NS;
        assertEquals(1, agent.doWork());
        assertEquals(List.of(QueueAgent.IN_FLIGHT_SLEEP_MS), sleeper.timeouts);
    }

    @Test
    void shouldNotSleepWhenTheRecheckAfterArmingFindsWork() {
        clock.now += BUDGET_NS;
        queue.pendingAtArm = true;
        assertEquals(1, agent.doWork());
        assertEquals(0, sleeper.sleeps, "work arrived between the last poll and the arm: no sleep");
        assertEquals(1, counter("early_wakes"));
        assertEquals(List.of("arm", "suppress"), queue.events);
        assertEquals(1, agent.doWork(), "the next cycle serves it");
    }

    @Test
    void shouldRunAtMostOneBatchOfCommandsPerCycle() {
        int[] ran = {0};
        for (int i = 0; i < QueueAgent.COMMAND_BATCH + 4; i++) {
            assertTrue(agent.offer(() -> ran[0]++));
        }
        assertEquals(QueueAgent.COMMAND_BATCH + 4, sleeper.wakes, "each offer wakes a sleeping agent");
        assertEquals(QueueAgent.COMMAND_BATCH, agent.doWork());
        assertEquals(QueueAgent.COMMAND_BATCH, ran[0]);
        assertEquals(4, agent.doWork());
        assertEquals(QueueAgent.COMMAND_BATCH + 4, ran[0]);
        assertEquals(0, agent.doWork());
    }

    @Test
    void shouldNotSleepWithACommandQueuedAfterTheBudget() {
        clock.now += BUDGET_NS;
        sleeper.onSleep.add(() -> agent.offer(() -> { }));
        assertEquals(1, agent.doWork());
        assertEquals(1, sleeper.sleeps);
        assertEquals(1, agent.doWork(), "the command woke it and runs now");
        assertEquals(1, counter("commands"));
    }

    @Test
    void shouldStopAtTheNextCycleAndCloseTheSleeper() {
        agent.requestStop();
        assertEquals(1, sleeper.wakes, "a sleeping agent is woken to stop");
        assertThrows(AgentTerminationException.class, agent::doWork);
        agent.onClose();
        assertTrue(agent.terminated());
        assertTrue(sleeper.closed);
    }

    /** A second agent on the test's clock and sleeper, serving {@code q}, started. */
    private QueueAgent startedWith(ScriptedQueue q) {
        QueueAgent a = new QueueAgent("second", new PollBudget(BUDGET_NS), -1, clock, sleeper);
        a.add(q);
        a.onStart();
        return a;
    }

    @Test
    void shouldGrowTheBudgetWhenASleepMissedAReachableRequest() {
        ScriptedQueue q = new ScriptedQueue();
        QueueAgent slow = startedWith(q);
        PollBudget b = slow.pollBudget();
        // Gaps of 100 µs, above the 50 µs bound: each costs a sleep and halves the budget, down to the floor.
        for (int i = 0; i < 8; i++) {
            q.work.add(1);
            assertEquals(1, slow.doWork());
            assertEquals(0, slow.doWork(), "the next cycle, at once: idle from here");
            clock.now += 100_000;
            assertEquals(1, slow.doWork());
        }
        q.work.add(1);
        assertEquals(1, slow.doWork());
        assertEquals(0, slow.doWork());
        assertEquals(PollBudget.START_NS, b.ns(), "out-of-reach gaps: the floor");
        int sleeps = sleeper.sleeps;
        clock.now += PollBudget.START_NS;
        assertEquals(1, slow.doWork());
        assertEquals(sleeps + 1, sleeper.sleeps, "sleeps after the floor");
        // The next request comes 20 µs after the last: missed, but reachable: the budget grows past the gap at once.
        clock.now += 20_000 - PollBudget.START_NS;
        q.work.add(1);
        assertEquals(1, slow.doWork());
        assertEquals(25_000, b.ns(), "the gap plus a quarter");
        sleeps = sleeper.sleeps;
        for (int i = 0; i < 5; i++) {
            clock.now += 20_000;
            assertEquals(0, slow.doWork(), "within the grown budget: spin");
            q.work.add(1);
            assertEquals(1, slow.doWork());
        }
        assertEquals(sleeps, sleeper.sleeps, "caught by polling: no sleep");
        assertEquals(5, slow.counters().get(AgentCounter.POLL_CAUGHT));
    }

    @Test
    void shouldLearnTheGapAfterAnInterruptApartFromTheGapsOfABurst() {
        ScriptedQueue q = new ScriptedQueue();
        QueueAgent a = startedWith(q);
        // Bursts of 4 requests 1 µs apart, each burst ending with an interrupt; the guest's next burst comes 200 µs
        // later (an interrupt round trip beyond the 50 µs bound, as in a nested guest).
        for (int burst = 0; burst < 10; burst++) {
            for (int i = 0; i < 4; i++) {
                q.interrupts = i == 3;
                q.work.add(1);
                assertEquals(1, a.doWork());
                assertEquals(0, a.doWork(), "idle from here");
                clock.now += i == 3 ? 0 : 1_000;
            }
            clock.now += 200_000;
            a.doWork(); // the gap is past the budget: sleeps (or spins until it is, the first time)
        }
        assertEquals(PollBudget.START_NS, a.pollBudgetAfterInterrupt().ns(),
            "every round trip out of reach: the budget after an interrupt is at its floor");
        assertEquals(BUDGET_NS, a.pollBudget().ns(), "the bursts' short gaps were caught: that budget is whole");
    }

    /** A queue with requests in flight: each poll reaps one (and moves the clock 1 ms); {@code stuck} never drain. */
    private static final class InFlightQueue extends ScriptedQueue {
        final HandClock time;
        final int stuck;
        volatile int polls;

        InFlightQueue(HandClock time, int inFlight, int stuck) {
            this.time = time;
            this.inFlight = inFlight;
            this.stuck = stuck;
        }

        @Override
        public int poll() {
            polls++;
            time.now += 1_000_000;
            if (inFlight > stuck) {
                inFlight--;
                return 1;
            }
            return 0;
        }
    }

    /** Runs {@code a}'s duty cycle on a thread of its own until it is stopped. */
    private static Thread run(QueueAgent a) {
        Thread t = new Thread(() -> {
            a.onStart();
            try {
                while (true) {
                    a.doWork();
                }
            } catch (AgentTerminationException stopped) {
                a.onClose();
            }
        }, "agent-under-test");
        t.start();
        return t;
    }

    private static void awaitStarted(QueueAgent a) throws InterruptedException {
        while (a.thread() == null) {
            Thread.sleep(1);
        }
    }

    @Test
    void shouldFinishWhatIsInFlightThenParkUntilResumed() throws Exception {
        HandClock time = new HandClock();
        InFlightQueue q = new InFlightQueue(time, 5, 0);
        QueueAgent a = new QueueAgent("p", new PollBudget(BUDGET_NS), -1, time, new RecordingSleeper());
        a.add(q);
        Thread t = run(a);
        try {
            awaitStarted(a);
            assertEquals(0, a.pause(TimeUnit.SECONDS.toNanos(10)), "nothing left in flight");
            assertEquals(0, q.inFlight, "every request in flight completed before the agent parked");
            assertTrue(a.paused());
            int polls = q.polls;
            Thread.sleep(100);
            assertEquals(polls, q.polls, "a paused agent polls nothing");
            assertEquals(1, a.counter(AgentCounter.PAUSES));
            a.resume();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (q.polls == polls && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertTrue(q.polls > polls, "polling again after the resume");
            // A pause right after a resume, before the agent has left its park, is a pause of its own.
            assertEquals(0, a.pause(TimeUnit.SECONDS.toNanos(10)));
            a.resume();
            assertEquals(0, a.pause(TimeUnit.SECONDS.toNanos(10)));
            assertEquals(3, a.counter(AgentCounter.PAUSES));
            a.resume();
        } finally {
            a.requestStop();
            t.join(10_000);
        }
        assertTrue(a.terminated());
    }

    @Test
    void shouldParkAfterTheTimeoutWithRequestsStillInFlightAndStopWhilePaused() throws Exception {
        HandClock time = new HandClock();
        InFlightQueue q = new InFlightQueue(time, 3, 1);
        QueueAgent a = new QueueAgent("p", new PollBudget(BUDGET_NS), -1, time, new RecordingSleeper());
        a.add(q);
        Thread t = run(a);
        awaitStarted(a);
        assertEquals(1, a.pause(TimeUnit.MILLISECONDS.toNanos(10)), "one request is still with the back end");
        a.requestStop();
        t.join(10_000);
        assertFalse(t.isAlive(), "a paused agent stops when asked");
        assertTrue(a.terminated());
    }
}
