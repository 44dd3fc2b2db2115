package dev.hardmem.proof;

import dev.hardmem.Capabilities;
import dev.hardmem.Secret;
import dev.hardmem.SecretKind;
import dev.hardmem.aead.Algorithm;
import dev.hardmem.aead.OpeningKey;
import dev.hardmem.aead.Sealed;
import dev.hardmem.aead.SealingKey;
import dev.hardmem.guarded.GuardedAllocator;
import dev.hardmem.guarded.MemoryBudgetException;
import dev.hardmem.guarded.Stats;
import dev.hardmem.proof.Census.After;
import dev.hardmem.proof.Census.Case;
import dev.hardmem.proof.Census.Expect;
import dev.hardmem.proof.Census.Kind;
import dev.hardmem.proof.Census.Outcome;
import dev.hardmem.proof.Census.Rule;
import dev.hardmem.proof.Census.Scope;
import dev.hardmem.proof.Census.Throws;
import dev.hardmem.testing.Dummies;
import dev.hardmem.testing.FreeLog;
import dev.hardmem.testing.OtherThread;
import dev.hardmem.testing.PublicApi;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static dev.hardmem.proof.Census.accepted;
import static dev.hardmem.proof.Census.throwing;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * Every public constructor and method of every exported package, driven with bad arguments and from receivers in
 * bad states, throws the exception its javadoc documents (or, where the input is legal after all, succeeds as
 * documented); the JVM keeps running; and no secret that was live before is lost or left unwiped. Each case is a
 * test of its own, named {@code member {receiver variant} [parameter] = bad value -> what it must do}.
 *
 * <h2>How the cases are made</h2>
 * The API is found by scanning the compiled classes of the packages {@code module-info} exports
 * ({@link PublicApi}), so a new member is driven without touching this test ({@link CensusCases}). For each
 * parameter, bad values come from its type: {@code null} for every reference; for numbers, the explicit tables
 * (sizes get negative, zero and the largest value; alignments zero, non-powers of two and over-alignment; counts
 * values out of range), and a numeric parameter missing from them fails by name; for other types, a catalogue (a
 * closed secret or segment, a segment confined to another thread, a consumed nonce, a nonce of another key's
 * sequence, a freed allocation or one of another allocator, an empty array, a failing stream...). For each instance
 * method, the receiver is also put in bad states: closed, used from another thread, used twice, exhausted, bound to
 * another key. The other arguments are valid: from {@link Dummies}, or made to fit the receiver where validity
 * depends on it. Each API package keeps its tables in a class of its own: {@link CoreCases}, {@link GuardedCases},
 * {@link NonceCases}, {@link AeadCases}, {@link CryptoCases}, {@link KdfCases}, {@link InputCases},
 * {@link SealedCases}.
 *
 * <h2>What each case must do</h2>
 * Each bad value and state carries its expected outcome, with the reason (the {@code @throws} or the package's
 * null policy that documents it); a {@link Rule} overrides it for a named member, and a rule that matches nothing
 * fails so that none lingers. Where the javadoc is silent, the expectation is the JDK vocabulary of STYLE.md rule 5
 * (for example {@link IllegalArgumentException} for a size no address space can hold), and the reason says
 * "javadoc silent". A refused number must also be named in the exception's message (rule 5, Agrona's style). A
 * refusal that takes longer than {@link Census#SLOW_NANOS} fails: a bad size must be refused, not tried.
 *
 * <h2>Bystanders</h2>
 * Before the first case, {@link CensusBystanders} are filled with known bytes. After the last, each must hold
 * exactly those bytes, the shared allocator's canaries must verify with no new failure, and once they are closed,
 * every one of their blocks, and every other block freed during the run, must have been all zeros when it was
 * freed ({@link FreeLog}). These checks are the last tests of the run.
 */
class BadInputCensusTest {
    /** The whole census, bystander checks included, must end within this; a hung case is interrupted. */
    private static final Duration TIME_LIMIT = Duration.ofMinutes(3);

    @TestFactory
    Stream<DynamicTest> everyPublicMemberRefusesBadInputAsDocumentedAndSparesLiveSecrets() throws Exception {
        Run run = new Run();
        try {
            run.start();
        } catch (Exception | Error e) {
            run.close();
            throw e;
        }
        Stream<DynamicTest> tables = Stream.of(
                dynamicTest("the tables give every numeric parameter bad values", () -> run.within(() ->
                        assertTrue(run.cases.problems().isEmpty(), String.join("\n", run.cases.problems())))),
                dynamicTest("every rule matches a case", () -> run.within(() -> assertTrue(
                        run.cases.unusedRules().isEmpty(), "remove the rules that match no case: "
                                + run.cases.unusedRules().stream().map(BadInputCensusTest::describe).toList()))));
        Stream<DynamicTest> cases = run.cases.cases().stream().map(c -> dynamicTest(
                c.describe() + " -> " + c.expect(), () -> run.within(() -> run.check(c))));
        Stream<DynamicTest> afterwards = Stream.of(
                dynamicTest("the cases left no secret of the shared allocator live",
                        () -> run.within(run::noSecretLeftLive)),
                dynamicTest("the bystanders kept their bytes", () -> run.within(() -> {
                    List<String> lost = run.bystanders.check();
                    assertTrue(lost.isEmpty(), String.join("\n", lost));
                })),
                dynamicTest("the shared allocator's canaries verify, with no new failure",
                        () -> run.within(run::canariesVerify)),
                dynamicTest("every bystander block was wiped when it was freed",
                        () -> run.within(run::bystandersWiped)),
                dynamicTest("every block freed during the run was wiped", () -> run.within(run::everyFreeWiped)),
                dynamicTest("the library still seals and opens afterwards", () -> run.within(run::roundTrip)));
        return Stream.of(tables, cases, afterwards).flatMap(s -> s).onClose(run::close);
    }

    private static String describe(Rule r) {
        return r.member() + " " + r.where() + " = " + r.label() + (r.variant() == null ? "" : " {" + r.variant()
                + "}");
    }

    /** One run of the census: what it set up, what it tallies, and the checks that need both. */
    private static final class Run {
        final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "census watchdog");
            t.setDaemon(true);
            return t;
        });
        final long deadline = System.nanoTime() + TIME_LIMIT.toNanos();
        final List<java.lang.reflect.Executable> members = new ArrayList<>();
        OtherThread other;
        CensusCases cases;
        CensusRun runner;
        FreeLog log;
        CensusBystanders bystanders;
        boolean bystandersClosed;
        Stats shared0;
        Stats before;
        Stats after;

        final Map<Kind, int[]> byKind = new EnumMap<>(Kind.class);
        final List<String> accepted = new ArrayList<>();
        final List<String> silent = new ArrayList<>();
        int documented;
        int failed;

        void start() throws Exception {
            for (Class<?> c : PublicApi.classes()) {
                members.addAll(PublicApi.members(c));
            }
            Capabilities caps = Capabilities.probe();
            // Capacity Integer.MAX_VALUE is legal; it needs 2 GiB (and a page) locked, which RLIMIT_MEMLOCK may deny.
            long needed = (1L << 31) + 2 * caps.pageSize();
            Expect hugeCapacity = caps.memlockUnlimited() || caps.memlockSoft() >= needed
                    ? accepted("documented: the capacity is 'at least 1'; Integer.MAX_VALUE is legal")
                    : throwing(MemoryBudgetException.class, "documented (GuardPolicy.Lock.REQUIRE): RLIMIT_MEMLOCK "
                    + caps.memlockSoft() + " cannot lock 2 GiB");
            other = OtherThread.start();
            cases = new CensusCases(members, List.of(new CoreCases(other, hugeCapacity),
                    new GuardedCases(caps.memfdSecretWorks()), new NonceCases(), new AeadCases(), new CryptoCases(),
                    new KdfCases(),
                    new InputCases(), new SealedCases()));
            runner = new CensusRun(cases, other);

            Dummies.release(Dummies.of(SealingKey.class).orElseThrow()); // makes the dummies' one AEAD key, for good
            shared0 = GuardedAllocator.shared().stats();
            log = FreeLog.start();
            bystanders = new CensusBystanders();
            before = GuardedAllocator.shared().stats();
        }

        /**
         * Runs {@code body}, interrupting it when the census outlives {@link #TIME_LIMIT}, as {@code @Timeout} does
         * for a plain test; a run past the limit fails.
         */
        void within(Executable body) throws Throwable {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                fail("the census ran past its time limit of " + TIME_LIMIT);
            }
            Thread caller = Thread.currentThread();
            ScheduledFuture<?> alarm = watchdog.schedule(caller::interrupt, left, TimeUnit.NANOSECONDS);
            try {
                body.execute();
            } finally {
                if (!alarm.cancel(false)) {
                    while (!alarm.isDone()) {
                        Thread.onSpinWait();
                    }
                    Thread.interrupted();
                    fail("the census ran past its time limit of " + TIME_LIMIT);
                }
            }
        }

        void check(Case c) {
            int[] k = byKind.computeIfAbsent(c.kind(), x -> new int[2]);
            k[0]++;
            Scope s = new Scope();
            String problem;
            Throwable cause = null;
            Outcome o = null;
            try {
                o = runner.outcome(c, s);
                problem = CensusRun.judge(c, o);
                After check = cases.after(c.key());
                if (problem == null && check != null) {
                    problem = check.check(s, o);
                }
            } catch (Exception | Error e) {
                problem = "the case could not be set up: " + e;
                cause = e;
            } finally {
                s.release();
            }
            if (c.expect().why().startsWith("javadoc silent")) {
                silent.add(c.describe() + ": expected " + c.expect() + ", "
                        + (problem == null ? "as asserted" : "FAILED: " + problem));
            }
            if (problem != null) {
                k[1]++;
                failed++;
                // The case is named in the message too: a report may name a dynamic test by its index alone.
                fail(c.describe() + ": " + problem + " [" + c.expect().why() + "]", cause);
            } else if (c.expect() instanceof Throws) {
                documented++;
            } else {
                accepted.add(c.describe() + ": " + c.expect() + (o != null && c.bad() != null
                        && c.bad().inChildJvm() ? " in " + o.nanos() / 1_000_000 + " ms" : "")
                        + " [" + c.expect().why() + "]");
            }
        }

        void noSecretLeftLive() {
            other.close();
            after = GuardedAllocator.shared().stats();
            assertTrue(after.liveSecrets() <= before.liveSecrets(), "the cases left "
                    + (after.liveSecrets() - before.liveSecrets()) + " secret(s) of the shared allocator live");
        }

        void canariesVerify() {
            GuardedAllocator.shared().verify();
            Stats now = after != null ? after : GuardedAllocator.shared().stats();
            assertEquals(shared0.canaryFailures(), now.canaryFailures(), "canary failures");
            assertEquals(shared0.quarantinedSlots(), now.quarantinedSlots(), "quarantined slots");
        }

        void bystandersWiped() {
            closeBystanders();
            List<String> wrong = new ArrayList<>();
            for (Map.Entry<Long, Long> b : bystanders.blocks.entrySet()) {
                var freed = log.at(b.getKey());
                if (freed.isEmpty() || freed.get().size() != b.getValue() || !freed.get().zero()) {
                    wrong.add("the block of " + b.getValue() + " bytes was " + (freed.isEmpty() ? "not freed"
                            : freed.get().zero() ? "freed with another size" : "NOT WIPED when it was freed"));
                }
            }
            assertTrue(wrong.isEmpty(), String.join("\n", wrong));
        }

        void everyFreeWiped() {
            closeBystanders();
            List<FreeLog.Freed> all = log.all();
            log.close();
            long dirty = all.stream().filter(f -> !f.zero()).count();
            System.out.println("BadInputCensusTest: bystanders: " + bystanders.secrets.size() + " secrets, "
                    + bystanders.segments.size() + " arena segments and " + bystanders.allocations.size()
                    + " allocations; " + bystanders.blocks.size() + " bystander blocks and " + all.size()
                    + " blocks in all freed, " + dirty + " not wiped");
            assertEquals(0, dirty, dirty + " of " + all.size() + " blocks freed during the run held non-zero bytes"
                    + " when they were freed");
        }

        void roundTrip() throws Exception {
            try (Secret<SecretKind.Key> k = Secret.random(SecretKind.Key.class, 32)) {
                SealingKey sk = SealingKey.of(Algorithm.AES_256_GCM, k);
                Sealed sealed = sk.seal(MemorySegment.ofArray(AeadCases.SAMPLE), MemorySegment.ofArray(new byte[0]));
                byte[] back = new byte[AeadCases.SAMPLE.length];
                OpeningKey.of(Algorithm.AES_256_GCM, k).open(sealed.nonce(),
                        MemorySegment.ofArray(sealed.ciphertext()), MemorySegment.ofArray(new byte[0]),
                        MemorySegment.ofArray(back));
                assertArrayEquals(AeadCases.SAMPLE, back, "a round trip no longer gives the plaintext back");
            }
        }

        private void closeBystanders() {
            if (!bystandersClosed && bystanders != null) {
                bystandersClosed = true;
                bystanders.close();
            }
        }

        /** Releases what the run set up, whether or not every test ran, and prints the tally. */
        void close() {
            watchdog.shutdownNow();
            if (other != null) {
                other.close();
            }
            closeBystanders();
            if (log != null) {
                log.close();
            }
            if (cases == null) {
                return;
            }
            int tried = cases.cases().size();
            List<String> untouched = cases.untouched(members);
            System.out.println("BadInputCensusTest: " + tried + " cases over " + (members.size() - untouched.size())
                    + " members: " + documented + " documented exceptions, " + accepted.size()
                    + " accepted as documented, " + failed + " failures");
            System.out.println("BadInputCensusTest: by kind: " + byKind.entrySet().stream()
                    .map(e -> e.getKey() + " " + e.getValue()[0] + (e.getValue()[1] > 0 ? " (" + e.getValue()[1]
                            + " failed)" : "")).collect(Collectors.joining(", ")));
            System.out.println("BadInputCensusTest: " + untouched.size() + " of " + members.size() + " public members"
                    + " take no input and have no bad receiver state: " + String.join(", ", untouched));
            accepted.forEach(a -> System.out.println("BadInputCensusTest: ACCEPTED " + a));
            silent.forEach(a -> System.out.println("BadInputCensusTest: JAVADOC SILENT " + a));
        }
    }
}
