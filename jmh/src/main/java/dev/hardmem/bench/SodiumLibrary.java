package dev.hardmem.bench;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * libsodium for the baselines, or a failed setup that names {@code apt-get install libsodium23}: only the
 * benchmarks that take this state are skipped where libsodium is missing.
 */
@State(Scope.Thread)
public class SodiumLibrary {
    Native.Sodium sodium;

    @Setup(Level.Trial)
    public void load() {
        sodium = Native.Sodium.require();
    }
}
