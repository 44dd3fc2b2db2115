package dev.hardmem;

/**
 * The kind of a secret, as a type: {@code Secret<SecretKind.Key>} and {@code Secret<SecretKind.Password>} are
 * different types, so code that wants a key does not compile when handed a password.
 *
 * <p>The kinds are phantom types: never instantiated, they exist only to be named in type arguments and as the
 * class token given to the factories of {@link Secret}. Define your own by implementing this interface with a
 * final class that has a private constructor:
 *
 * {@snippet :
 * final class HmacKey implements SecretKind {
 *     private HmacKey() {
 *     }
 * }
 *
 * Secret<HmacKey> k = Secret.random(HmacKey.class, 32);
 * }
 */
public interface SecretKind {
    /** A cryptographic key. */
    final class Key implements SecretKind {
        private Key() {
        }
    }

    /** A password or passphrase, usually UTF-8 encoded from a {@code char[]}. */
    final class Password implements SecretKind {
        private Password() {
        }
    }

    /** A seed: input to key derivation or to a deterministic generator. */
    final class Seed implements SecretKind {
        private Seed() {
        }
    }
}
