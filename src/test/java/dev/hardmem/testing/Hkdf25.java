package dev.hardmem.testing;

import java.lang.reflect.InvocationTargetException;
import java.security.spec.AlgorithmParameterSpec;
import javax.crypto.SecretKey;

/**
 * HKDF through the JDK's {@code javax.crypto.KDF} (Java 25), called reflectively: the tests compile for Java 22, where
 * {@code KDF} does not exist.
 */
public final class Hkdf25 {
    private Hkdf25() {
    }

    /** {@return whether this JVM has {@code javax.crypto.KDF}} */
    public static boolean available() {
        return Runtime.version().feature() >= 25;
    }

    /**
     * {@return {@code KDF.getInstance(algorithm).deriveData(HKDFParameterSpec.ofExtract().addIKM(ikm).addSalt(salt)
     * .thenExpand(info, length))}}
     */
    public static byte[] deriveData(String algorithm, SecretKey ikm, byte[] salt, byte[] info, int length)
            throws Exception {
        try {
            Class<?> spec = Class.forName("javax.crypto.spec.HKDFParameterSpec");
            Class<?> builder = Class.forName("javax.crypto.spec.HKDFParameterSpec$Builder");
            Object b = spec.getMethod("ofExtract").invoke(null);
            b = builder.getMethod("addIKM", SecretKey.class).invoke(b, ikm);
            b = builder.getMethod("addSalt", byte[].class).invoke(b, (Object) salt);
            Object params = builder.getMethod("thenExpand", byte[].class, int.class).invoke(b, info, length);
            Class<?> kdfClass = Class.forName("javax.crypto.KDF");
            Object kdf = kdfClass.getMethod("getInstance", String.class).invoke(null, algorithm);
            return (byte[]) kdfClass.getMethod("deriveData", AlgorithmParameterSpec.class).invoke(kdf, params);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        }
    }
}
