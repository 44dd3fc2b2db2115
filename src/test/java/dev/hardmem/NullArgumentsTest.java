package dev.hardmem;

import dev.hardmem.aead.Algorithm;
import dev.hardmem.aead.OpeningKey;
import dev.hardmem.aead.SealingKey;
import dev.hardmem.crypto.AeadAlgorithm;
import dev.hardmem.crypto.AeadOpeningKey;
import dev.hardmem.crypto.AeadSealingKey;
import dev.hardmem.nonce.CounterNonceSequence;
import dev.hardmem.nonce.InsecureNonceSequence;
import dev.hardmem.nonce.NonceSequence;
import dev.hardmem.nonce.RandomNonceSequence;
import dev.hardmem.sealed.SealedSecret;
import dev.hardmem.sealed.SealingMode;
import dev.hardmem.testing.Dummies;
import dev.hardmem.testing.NullHostility.Case;
import dev.hardmem.testing.NullHostility.Receiver;
import dev.hardmem.testing.NullHostility;
import dev.hardmem.testing.PublicApi;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.lang.foreign.MemorySegment;
import java.lang.reflect.Executable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * Every reference parameter of every public constructor and method in every exported package throws
 * {@link NullPointerException} when given {@code null}, as the null policy of each {@code package-info} says, unless
 * its javadoc says it takes {@code null}. One test per member, receiver kind and parameter. The API is found by
 * scanning the compiled classes of the exported packages ({@link PublicApi}), so a new package or member is covered
 * without touching this test; the calls are made by {@link NullHostility}.
 */
class NullArgumentsTest {
    /** Parameters documented to take {@code null}, by {@code member[index]}, with the reason. None, today. */
    private static final Map<String, String> ACCEPTS_NULL = Map.of();

    /**
     * The fewest cases the walk must find, in all and in the packages where a class has several receiver kinds:
     * fewer means it lost part of the API.
     */
    private static final int AT_LEAST = 25;
    private static final Map<String, Integer> AT_LEAST_IN = Map.of("dev.hardmem.aead", 17, "dev.hardmem.nonce", 2,
            "dev.hardmem.crypto", 20, "dev.hardmem.sealed", 18);

    /**
     * Values unlike the dummies, beside which each null is checked once more: a segment on the heap where the
     * dummy is native, a key and an array of an AEAD key's length where the dummies have 16 bytes, a count a
     * counter can have, and the name of a constant.
     */
    private static final Map<Class<?>, Supplier<?>> OTHER_VALUES = Map.of(
            MemorySegment.class, () -> MemorySegment.ofArray(new byte[32]),
            byte[].class, () -> new byte[32],
            Secret.class, () -> Secret.random(SecretKind.Key.class, 32),
            int.class, () -> 8,
            String.class, () -> Algorithm.AES_256_GCM.name());

    /** {@return the kinds of receiver of {@code c}: each implementation, algorithm or mode; else its dummy} */
    private static List<Receiver> receivers(Class<?> c) {
        if (c == NonceSequence.class) {
            return List.of(
                    new Receiver("counter", CounterNonceSequence::withRandomPrefix),
                    new Receiver("random", RandomNonceSequence::of192Bits),
                    new Receiver("insecure", () -> new InsecureNonceSequence(4) {
                        @Override
                        protected boolean nextNonce(byte[] destination) {
                            Arrays.fill(destination, (byte) 1);
                            return true;
                        }
                    }));
        }
        // Keys that stay open for the whole run: a sealing or opening key cannot be closed, and a key left to the
        // cleaner would be freed in the middle of some other test that counts frees.
        if (c == SealingKey.class) {
            return Arrays.stream(Algorithm.values())
                    .map(a -> new Receiver(a.name(), () -> SealingKey.of(a, Dummies.keptKey()))).toList();
        }
        if (c == OpeningKey.class) {
            return Arrays.stream(Algorithm.values())
                    .map(a -> new Receiver(a.name(), () -> OpeningKey.of(a, Dummies.keptKey()))).toList();
        }
        if (c == AeadSealingKey.class) {
            return Arrays.stream(AeadAlgorithm.values()).filter(AeadAlgorithm::isAvailable)
                    .map(a -> new Receiver(a.name(), () -> AeadSealingKey.of(a, Dummies.keptKey()))).toList();
        }
        if (c == AeadOpeningKey.class) {
            return Arrays.stream(AeadAlgorithm.values()).filter(AeadAlgorithm::isAvailable)
                    .map(a -> new Receiver(a.name(), () -> AeadOpeningKey.of(a, Dummies.keptKey()))).toList();
        }
        if (c == SealedSecret.class) {
            return Arrays.stream(SealingMode.values())
                    .map(m -> new Receiver(m.name(), () -> SealedSecret.random(SecretKind.Key.class, 16, m))).toList();
        }
        return NullHostility.dummyReceiver(c);
    }

    @TestFactory
    Stream<DynamicTest> everyReferenceParameterOfThePublicApiRejectsNull() throws Exception {
        List<Executable> members = new ArrayList<>();
        for (Class<?> c : PublicApi.classes()) {
            members.addAll(PublicApi.members(c));
        }
        List<Case> cases = NullHostility.cases(members, NullArgumentsTest::receivers);
        Stream<DynamicTest> walk = Stream.of(
                dynamicTest("the walk covers exactly the API packages", () ->
                        assertEquals(new TreeSet<>(ApiPackages.ALL), PublicApi.exportedPackages())),
                dynamicTest("the walk finds the null cases of every package", () -> {
                    Map<String, Long> found = cases.stream().collect(Collectors.groupingBy(
                            c -> c.member().getDeclaringClass().getPackageName(), Collectors.counting()));
                    assertTrue(cases.size() >= AT_LEAST, "suspiciously few cases: " + cases.size());
                    AT_LEAST_IN.forEach((pkg, n) -> assertTrue(found.getOrDefault(pkg, 0L) >= n,
                            "suspiciously few cases in " + pkg + ": " + found.get(pkg)));
                }),
                dynamicTest("every parameter documented to take null exists", () -> {
                    Set<String> stale = new TreeSet<>(ACCEPTS_NULL.keySet());
                    cases.forEach(c -> stale.remove(c.key()));
                    assertTrue(stale.isEmpty(), "entries that match no parameter any more (remove them): " + stale);
                }));
        Stream<DynamicTest> each = cases.stream().map(c -> ACCEPTS_NULL.containsKey(c.key())
                ? dynamicTest(c.describe() + " -> accepted", () -> NullHostility.assertAcceptsNull(c, OTHER_VALUES))
                : dynamicTest(c.describe() + " -> NullPointerException",
                        () -> NullHostility.assertRejectsNull(c, OTHER_VALUES)));
        return Stream.concat(walk, each);
    }
}
