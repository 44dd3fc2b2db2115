package dev.hardmem.aead;

import dev.hardmem.Secret;
import dev.hardmem.Wipe;

import javax.crypto.SecretKey;
import java.io.NotSerializableException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serial;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The JCA view of a {@link Secret} for one cipher operation or one {@link KeyLoan}. It holds no key bytes of its
 * own: each
 * {@link #getEncoded()} copies them out of the secret at the moment the provider asks (SunJCE asks once, inside
 * {@code Cipher.init}), and {@link #destroy()} wipes every copy it handed out. The provider keeps that array as
 * its own (SunJCE's ChaCha20 keeps it as the cipher's key, its AES-GCM encryption keeps it to refuse a repeated
 * key and IV), so wiping it after the operation removes the provider's raw copy too.
 *
 * <p>Once destroyed, {@link #getEncoded()} throws: a provider that came back for the key after the operation would
 * fail rather than encrypt with zeros. It also lets go of the secret, so a key that escaped keeps nothing alive.
 */
final class BorrowedKey implements SecretKey {
    @Serial
    private static final long serialVersionUID = 1L;

    private transient Secret<?> secret;
    private final transient String algorithm;
    private final transient List<byte[]> lent = new ArrayList<>(1);
    private transient boolean destroyed;

    BorrowedKey(Secret<?> secret, String algorithm) {
        this.secret = secret;
        this.algorithm = algorithm;
    }

    @Override
    public String getAlgorithm() {
        return algorithm;
    }

    @Override
    public String getFormat() {
        return "RAW";
    }

    /** {@return a new heap copy of the key bytes, which {@link #destroy()} will wipe} */
    @Override
    public synchronized byte[] getEncoded() {
        if (destroyed) {
            throw new IllegalStateException("this JCA key was lent from a hardmem Secret for one operation or loan,"
                    + " which is over");
        }
        byte[] copy = new byte[Math.toIntExact(secret.size())];
        secret.read(s -> {
            MemorySegment.copy(s, ValueLayout.JAVA_BYTE, 0, copy, 0, copy.length);
            return null;
        });
        lent.add(copy);
        return copy;
    }

    /** Wipes every array {@link #getEncoded()} returned; later calls to it throw. */
    @Override
    public synchronized void destroy() {
        destroyed = true;
        secret = null;
        for (byte[] copy : lent) {
            Wipe.bytes(copy);
        }
        lent.clear();
    }

    @Override
    public synchronized boolean isDestroyed() {
        return destroyed;
    }

    /** {@return how many copies are waiting to be wiped; for tests} */
    synchronized int lentCopies() {
        return lent.size();
    }

    @Override
    public String toString() {
        return "BorrowedKey[" + algorithm + ", redacted]";
    }

    @Serial
    private void writeObject(ObjectOutputStream out) throws NotSerializableException {
        throw new NotSerializableException("a key borrowed from a hardmem Secret cannot be serialized");
    }

    @Serial
    private void readObject(ObjectInputStream in) throws NotSerializableException {
        throw new NotSerializableException("a key borrowed from a hardmem Secret cannot be serialized");
    }
}
