package dev.hardmem;

import java.util.Set;

/** The packages the module exports: the public API. Tests that walk the API start here. */
final class ApiPackages {
    static final Set<String> ALL =
            Set.of("dev.hardmem", "dev.hardmem.guarded", "dev.hardmem.nonce", "dev.hardmem.aead",
                    "dev.hardmem.crypto", "dev.hardmem.sealed");

    private ApiPackages() {
    }
}
