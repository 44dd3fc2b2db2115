package dev.hardmem.crypto;

import dev.hardmem.Secret;
import dev.hardmem.SecretArena;
import dev.hardmem.SecretKind;
import dev.hardmem.internal.os.Sodium;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Argon2id against libsodium's own published vectors ({@code test/default/pwhash_argon2id.c}, with the expected
 * outputs in {@code pwhash_argon2id.exp}) byte for byte, its verifier strings, and its limits.
 */
class Argon2idTest {
    private static final HexFormat HEX = HexFormat.of();

    /** One vector of {@code tv()} or {@code tv2()}: the password is the first {@code passwordLength} bytes. */
    private record Vector(String name, int passwordLength, int outputLength, long ops, long mem, String password,
                          String salt, String expected) {
    }

    private static final Vector[] LIBSODIUM = {
        new Vector("tv[0]", 127, 155, 5, 7256678,
                "a347ae92bce9f80f6f595a4480fc9c2fe7e7d7148d371e9487d75f5c23008ffae065577a928febd9"
                + "b1973a5a95073acdbeb6a030cfc0d79caa2dc5cd011cef02c08da232d76d52dfbca38ca8dcbd665b"
                + "17d1665f7cf5fe59772ec909733b24de97d6f58d220b20c60d7c07ec1fd93c52c31020300c6c1fac"
                + "d77937a597c7a6",
                "5541fbc995d5c197ba290346d2c559de",
                "18acec5d6507739f203d1f5d9f1d862f7c2cdac4f19d2bdff64487e60d969e3ced615337b9eec6ac"
                + "4461c6ca07f0939741e57c24d0005c7ea171a0ee1e7348249d135b38f222e4dad7b9a033ed83f5ca"
                + "27277393e316582033c74affe2566a2bea47f91f0fd9fe49ece7e1f79f3ad6e9b23e0277c8ecc4b3"
                + "13225748dd2a80f5679534a0700e246a79a49b3f74eb89ec6205fe1eeb941c73b1fcf1"),
        new Vector("tv[1]", 86, 250, 4, 7849083,
                "e125cee61c8cb7778d9e5ad0a6f5d978ce9f84de213a8556d9ffe202020ab4a6ed9074a4eb3416f9"
                + "b168f137510f3a30b70b96cbfa219ff99f6c6eaffb15c06b60e00cc2890277f0fd3c622115772f70"
                + "48adaebed86e",
                "f1192dd5dc2368b9cd421338b2243345",
                "26bab5f101560e48c711da4f05e81f5a3802b7a93d5155b9cab153069cc42b8e9f910bfead747652"
                + "a0708d70e4de0bada37218bd203a1201c36b42f9a269b675b1f30cfc36f35a3030e9c7f57dfba0d3"
                + "41a974c1886f708c3e8297efbfe411bb9d51375264bd7c70d57a8a56fc9de2c1c97c08776803ec2c"
                + "d0140bba8e61dc0f4ad3d3d1a89b4b710af81bfe35a0eea193e18a6da0f5ec05542c9eefc4584458"
                + "e1da715611ba09617384748bd43b9bf1f3a6df4ecd091d0875e08d6e2fd8a5c7ce08904b5160cd38"
                + "167b76ec76ef2d310049055a564da23d4ebd2b87e421cc33c401e12d5cd8d936c9baf75ebdfb557d"
                + "342d2858fc781da31860"),
        new Vector("tv[2]", 183, 249, 3, 7994791,
                "92263cbf6ac376499f68a4289d3bb59e5a22335eba63a32e6410249155b956b6a3b48d4a44906b18"
                + "b897127300b375b8f834f1ceffc70880a885f47c33876717e392be57f7da3ae58da4fd1f43daa7e4"
                + "4bb82d3717af4319349c24cd31e46d295856b0441b6b289992a11ced1cc3bf3011604590244a3eb7"
                + "37ff221129215e4e4347f4915d41292b5173d196eb9add693be5319fdadc242906178bb6c0286c9b"
                + "6ca6012746711f58c8c392016b2fdfc09c64f0f6b6ab7b",
                "3b840e20e9555e9fb031c4ba1f1747ce",
                "6eb45e668582d63788ca8f6e930ca60b045a795fca987344f9a7a135aa3b5132b50a34a3864c2658"
                + "1f1f56dd0bcbfafbfa92cd9bff6b24a734cfe88f854aef4bda0a7983120f44936e8ff31d29728ac0"
                + "8ccce6f3f916b3c63962755c23a1fa9bb4e8823fc867bfd18f28980d94bc5874423ab7f96cc0ab78"
                + "d8fa21fbd00cd3a1d96a73fa439ccc3fc4eab1590677b06cc78b0f674dfb680f23022fb902022dd8"
                + "620803229c6ddf79a8156ccfce48bbd76c05ab670634f206e5b2e896230baa74a856964dbd8511ac"
                + "b71d75a1506766a125d8ce037f1db72086ebc3bccaefbd8cd9380167c2530386544ebfbeadbe2377"
                + "84d102bb92a10fd242"),
        new Vector("tv[4]", 82, 190, 3, 1432947,
                "4a857e2ee8aa9b6056f2424e84d24a72473378906ee04a46cb05311502d5250b82ad86b83c8f20a2"
                + "3dbb74f6da60b0b6ecffd67134d45946ac8ebfb3064294bc097d43ced68642bfb8bbbdd0f50b3011"
                + "8f5e",
                "39d82eef32010b8b79cc5ba88ed539fb",
                "08d8cd330c57e1b4643241d05bb468ba4ee4e932cd0858816be9ef15360b27bbd06a87130ee92222"
                + "be267a29b81f5ae8fe8613324cfc4832dc49387fd0602f1c57b4d0f3855db94fb7e12eb05f9a484a"
                + "ed4a4307abf586cd3d55c809bc081541e00b682772fb2066504ff935b8ebc551a2083882f874bc0f"
                + "ae68e56848ae34c91097c3bf0cca8e75c0797eef3efde3f75e005815018db3cf7c109a812264c4de"
                + "69dcb22322dbbcfa447f5b00ecd1b04a7be1569c8e556adb7bba48adf81d"),
        new Vector("tv[5]", 156, 178, 3, 4886999,
                "c7b09aec680e7b42fedd7fc792e78b2f6c1bea8f4a884320b648f81e8cf515e8ba9dcfb11d43c4aa"
                + "e114c1734aa69ca82d44998365db9c93744fa28b63fd16000e8261cbbe083e7e2da1e5f696bde083"
                + "4fe53146d7e0e35e7de9920d041f5a5621aabe02da3e2b09b405b77937efef3197bd5772e41fdb73"
                + "fb5294478e45208063b5f58e089dbeb6d6342a909c1307b3fff5fe2cf4da56bdae50848f",
                "039c056d933b475032777edbaffac50f",
                "d6e9d6cabd42fb9ba7162fe9b8e41d59d3c7034756cb460c9affe393308bd0225ce0371f2e6c3ca3"
                + "2aca2002bf2d3909c6b6e7dfc4a00e850ff4f570f8f749d4bb6f0091e554be67a9095ae1eefaa1a9"
                + "33316cbec3c2fd4a14a5b6941bda9b7eabd821d79abde2475a53af1a8571c7ee46460be415882e0b"
                + "393f48c12f740a6a72cba9773000602e13b40d3dfa6ac1d4ec43a838b7e3e165fecad4b2498389e6"
                + "0a3ff9f0f8f4b9fca1126e64f49501e38690"),
        new Vector("tv[6]", 34, 231, 1, 1631659,
                "b540beb016a5366524d4605156493f9874514a5aa58818cd0c6dfffaa9e90205f17b",
                "44071f6d181561670bda728d43fb79b4",
                "7fb72409b0987f8190c3729710e98c3f80c5a8727d425fdcde7f3644d467fe973f5b5fee683bd3fc"
                + "e812cb9ae5e9921a2d06c2f1905e4e839692f2b934b682f11a2fe2b90482ea5dd234863516dba6f5"
                + "2dc0702d324ec77d860c2e181f84472bd7104fedce071ffa93c5309494ad51623d214447a7b2b146"
                + "2dc7d5d55a1f6fd5b54ce024118d86f0c6489d16545aaa87b6689dad9f2fb47fda9894f8e12b87d9"
                + "78b483ccd4cc5fd9595cdc7a818452f915ce2f7df95ec12b1c72e3788d473441d884f9748eb14703"
                + "c21b45d82fd667b85f5b2d98c13303b3fe76285531a826b6fc0fe8e3dddecf"),
        new Vector("tv[7]", 220, 167, 3, 1784128,
                "a14975c26c088755a8b715ff2528d647cd343987fcf4aa25e7194a8417fb2b4b3f7268da9f3182b4"
                + "cfb22d138b2749d673a47ecc7525dd15a0a3c66046971784bb63d7eae24cc84f2631712075a10e10"
                + "a96b0e0ee67c43e01c423cb9c44e5371017e9c496956b632158da3fe12addecb88912e6759bc37f9"
                + "af2f45af72c5cae3b179ffb676a697de6ebe45cd4c16d4a9d642d29ddc0186a0a48cb6cd62bfc3dd"
                + "229d313b301560971e740e2cf1f99a9a090a5b283f35475057e96d7064e2e0fc81984591068d55a3"
                + "b4169f22cccb0745a2689407ea1901a0a766eb99",
                "3d968b2752b8838431165059319f3ff8",
                "4e702bc5f891df884c6ddaa243aa846ce3c087fe930fef0f36b3c2be34164ccc295db509254743f1"
                + "8f947159c813bcd5dd8d94a3aec93bbe57605d1fad1aef1112687c3d4ef1cb329d21f1632f626818"
                + "d766915d886e8d819e4b0b9c9307f4b6afc081e13b0cf31db382ff1bf05a16aac7af696336d75e99"
                + "f82163e0f371e1d25c4add808e215697ad3f779a51a462f8bf52610af21fc69dba6b072606f2dabc"
                + "a7d4ae1d91d919"),
        new Vector("tv2[0]", 127, 155, 4, 1397645,
                "a347ae92bce9f80f6f595a4480fc9c2fe7e7d7148d371e9487d75f5c23008ffae065577a928febd9"
                + "b1973a5a95073acdbeb6a030cfc0d79caa2dc5cd011cef02c08da232d76d52dfbca38ca8dcbd665b"
                + "17d1665f7cf5fe59772ec909733b24de97d6f58d220b20c60d7c07ec1fd93c52c31020300c6c1fac"
                + "d77937a597c7a6",
                "5541fbc995d5c197ba290346d2c559de",
                "2d232f9dc4de96628b2a4c2b39ceb6a813011fb74a3ba1da096761fabe08f563bd91366aba5c5e35"
                + "aecd98643cabc16ce560dca261a963230a1fa2af52f2413a57a827c6ee13bcec0c123d195914a557"
                + "00ccb5756196a86fb9cb4aeacccc0e6dd850f4386b705aaae147ea347543b7fbe24553d9da41f1b3"
                + "35b6e9980cdb966cf7b48520eb42a7269380c885dbefbccf447851fcacbe1753a5b9e1"),
        new Vector("tv2[1]", 127, 155, 3, 1397645,
                "a347ae92bce9f80f6f595a4480fc9c2fe7e7d7148d371e9487d75f5c23008ffae065577a928febd9"
                + "b1973a5a95073acdbeb6a030cfc0d79caa2dc5cd011cef02c08da232d76d52dfbca38ca8dcbd665b"
                + "17d1665f7cf5fe59772ec909733b24de97d6f58d220b20c60d7c07ec1fd93c52c31020300c6c1fac"
                + "d77937a597c7a6",
                "5541fbc995d5c197ba290346d2c559de",
                "34b207147fb7ef83e1ca1a97e30aa6e08ea9b6b1048c59c9c13050dff33e76ce3c440d7f018f817e"
                + "6b8593e78f339ba633b9d7ec3519b5eafbcc4bc2d20b5136bbc7e5b7e92ff37d024bbbecf5738f71"
                + "8ab22c8adcdb82ceffc233b8ad61f91850abdfe8bb119775d9c4243ec1ac761dfbd132489228dfea"
                + "b5268c7f0ddc29f56b957d1b76c874cdd77e16139e0df9b847248fd782c9a1147b8480"),

    };

    private static Secret<SecretKind.Password> password(byte[] bytes) {
        return Secret.fromBytesWiping(SecretKind.Password.class, bytes);
    }

    private static Secret<SecretKind.Password> password(String text) {
        return password(text.getBytes(StandardCharsets.UTF_8));
    }

    private static MemorySegment salt(String hex) {
        return MemorySegment.ofArray(HEX.parseHex(hex));
    }

    @Test
    void libsodiumsPublishedVectorsByteForByte() {
        for (Vector v : LIBSODIUM) {
            byte[] pw = Arrays.copyOf(HEX.parseHex(v.password()), v.passwordLength());
            Argon2id argon2 = Argon2id.of(v.ops(), v.mem());
            try (Secret<SecretKind.Password> p = password(pw);
                 Secret<SecretKind.Key> key = argon2.deriveKey(p, salt(v.salt()), SecretKind.Key.class,
                         v.outputLength());
                 SecretArena arena = SecretArena.ofConfined()) {
                assertEquals(v.expected(), HEX.formatHex(key.insecureCopyToHeap()), v.name());
                MemorySegment into = arena.allocate(v.outputLength());
                argon2.deriveKey(p, salt(v.salt()), into);
                assertEquals(v.expected(), HEX.formatHex(into.toArray(ValueLayout.JAVA_BYTE)), v.name() + " into");
            }
        }
    }

    @Test
    void anOutputOf5BytesIsRefusedAsLibsodiumRefusesItsVector3() {
        // tv()[3] of libsodium's test asks for 5 bytes and fails there: here it fails before libsodium is called.
        try (Secret<SecretKind.Password> p = password("password")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Argon2id.of(4, 1397645).deriveKey(p, salt("eb2a3056a09ad2d7d7f975bcd707598f"),
                            SecretKind.Key.class, 5));
            assertTrue(e.getMessage().contains("16 to 4294967295") && e.getMessage().contains("was 5"),
                    e.getMessage());
        }
    }

    @Test
    void libsodiumsVerifierStringsVerifyAndAMalformedOneIsRefused() {
        try (Secret<SecretKind.Password> p = password("K3S=KyH#)36_?]LxeR8QNKw6X=gFbxai$C%29V*");
             Secret<SecretKind.Password> wrong = password("K3S=KyH#)36_?]LxeR8QNKw6X=gFbxai$C%29V+")) {
            String stored = "$argon2id$v=19$m=4096,t=1,p=3$PkEgcHJldHR5IGxvbmcgc2FsdA"
                    + "$HUqx5Z1b/ZypnUrvvJ5UC2Q+T6Q1WwASK/Kr9dRbGA0";
            assertTrue(Argon2id.verify(stored, p));
            assertFalse(Argon2id.verify(stored, wrong));
            // t=0 is no valid Argon2 string (libsodium's tv3()[0] fails to verify): refused, not answered false.
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Argon2id.verify(
                    "$argon2id$v=19$m=4096,t=0,p=1$X1NhbHQAAAAAAAAAAAAAAA$bWh++MKN1OiFHKgIWTLvIi1iHicmHH7+Fv3K88ifFfI",
                    p));
            assertTrue(e.getMessage().startsWith("not an Argon2 verifier string"), e.getMessage());
        }
        try (Secret<SecretKind.Password> p =
                     password("^T5H$JYt39n%K*j:W]!1s?vg!:jGi]Ax?..l7[p0v:1jHTpla9;]bUN;?bWyCbtqg ")) {
            assertTrue(Argon2id.verify("$argon2id$v=19$m=4096,t=19,p=1$PkEgMTYtYnl0ZXMgc2FsdA"
                    + "$ltB/ue1kPtBMBGfsysMpPigE6hiNEKZ9vs8vLNVDQGA", p));
        }
    }

    @Test
    void libsodiumsStrTestsVerifyAndRefuseAsPublished() {
        String valid = "$argon2id$v=19$m=256,t=3,p=1$MDEyMzQ1Njc$G5ajKFCoUzaXRLdz7UJb5wGkb2Xt+X5/GQjUYtS2+TE";
        try (Secret<SecretKind.Password> right = password("password");
             Secret<SecretKind.Password> wrong = password("passwore")) {
            assertTrue(Argon2id.verify(valid, right));
            assertFalse(Argon2id.verify(valid, wrong));
            // Two lanes where the hash was made with one: no match. A capital A: not an Argon2 string.
            assertFalse(Argon2id.verify(valid.replace("p=1", "p=2"), right));
            assertThrows(IllegalArgumentException.class,
                    () -> Argon2id.verify(valid.replace("$argon2id", "$Argon2id"), right));
        }
    }

    @Test
    void anArgon2iStringNeedsRehashEvenWithTheSameLimits() throws Throwable {
        // libsodium's own needs_rehash compares only the limits of the algorithm the string names: an Argon2i
        // string made with these very limits must still be upgraded to Argon2id.
        MethodHandle argon2iStr = Sodium.handle("crypto_pwhash_argon2i_str",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG));
        String argon2i;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(128);
            byte[] pw = "Correct Horse Battery Staple".getBytes(StandardCharsets.UTF_8);
            int r = (int) argon2iStr.invokeExact(out, a.allocateFrom(ValueLayout.JAVA_BYTE, pw), (long) pw.length,
                    3L, 5_000_000L);
            assertEquals(0, r);
            argon2i = out.getString(0, StandardCharsets.US_ASCII);
        }
        assertTrue(argon2i.startsWith("$argon2i$v=19$m=4882,t=3,p=1$"), argon2i);
        assertTrue(Argon2id.of(3, 5_000_000).needsRehash(argon2i));
    }

    @Test
    void hashThenVerifyThenNeedsRehash() {
        Argon2id mine = Argon2id.of(3, 5_000_000);
        try (Secret<SecretKind.Password> p = password("Correct Horse Battery Staple");
             Secret<SecretKind.Password> other = password("Correct Horse Battery Stapler")) {
            String a = mine.hash(p);
            String b = mine.hash(p);
            assertTrue(a.startsWith("$argon2id$v=19$m=4882,t=3,p=1$"), a);
            assertNotEquals(a, b, "two hashes of one password must have different salts");
            assertTrue(Argon2id.verify(a, p));
            assertFalse(Argon2id.verify(a, other));
            assertFalse(mine.needsRehash(a));
            assertTrue(Argon2id.of(4, 5_000_000).needsRehash(a));
            assertTrue(Argon2id.of(3, 10_000_000).needsRehash(a));
            // One character changed in the hash: no longer the password's.
            char[] c = a.toCharArray();
            c[c.length - 2] = c[c.length - 2] == 'A' ? 'B' : 'A';
            assertFalse(Argon2id.verify(new String(c), p));
        }
    }

    @Test
    void verifierStringsThatAreNotAreRefusedNamingWhy() {
        Argon2id a = Argon2id.of(1, 8192);
        try (Secret<SecretKind.Password> p = password("password")) {
            for (String bad : new String[] {"", "password", "$argon2id$m=65536,t=2,p=1c29tZXNhbHQ"
                    + "$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ", "$argon2id$v=19$m=4096,t=1,p=1$\0",
                    "$argon2id$v=19$m=4096,t=1,p=1$abc\u00e9", "$".repeat(200)}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> Argon2id.verify(bad, p), bad);
                assertTrue(e.getMessage().startsWith("not an Argon2 verifier string"), e.getMessage());
                assertThrows(IllegalArgumentException.class, () -> a.needsRehash(bad), bad);
            }
        }
    }

    @Test
    void limitsOutOfRangeAreRefusedNamingLibsodiumsBounds() {
        for (long ops : new long[] {0, -1, Long.MIN_VALUE, 1L << 32, Long.MAX_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Argon2id.of(ops, 8192));
            assertTrue(e.getMessage().contains("opsLimit must be 1 to 4294967295") && e.getMessage()
                    .contains("was " + ops), e.getMessage());
        }
        for (long mem : new long[] {0, -1, 8191, Long.MIN_VALUE, 4398046510081L, Long.MAX_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Argon2id.of(1, mem));
            assertTrue(e.getMessage().contains("memLimit must be 8192 to 4398046510080 bytes") && e.getMessage()
                    .contains("was " + mem), e.getMessage());
        }
        assertEquals(Argon2id.of(2, 64L << 20), Argon2id.INTERACTIVE);
        assertEquals("Argon2id[opsLimit=2, memLimit=67108864]", Argon2id.INTERACTIVE.toString());
    }

    @Test
    void saltsOutputsAndDestinationsOutOfRangeAreRefusedAndNothingIsWritten() {
        Argon2id a = Argon2id.of(1, 8192);
        try (Secret<SecretKind.Password> p = password("password");
             SecretArena arena = SecretArena.ofConfined()) {
            for (int n : new int[] {0, 8, 15, 17, 32}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> a.deriveKey(p, MemorySegment.ofArray(new byte[n]), SecretKind.Key.class, 32));
                assertTrue(e.getMessage().contains("16 bytes, was " + n), e.getMessage());
            }
            MemorySegment salt = MemorySegment.ofArray(new byte[16]);
            for (long n : new long[] {0, 15, -1, 1L << 32, Long.MAX_VALUE}) {
                assertThrows(IllegalArgumentException.class, () -> a.deriveKey(p, salt, SecretKind.Key.class, n));
            }
            MemorySegment tooShort = arena.allocate(15).fill((byte) 0x5a);
            assertThrows(IllegalArgumentException.class, () -> a.deriveKey(p, salt, tooShort));
            assertTrue(tooShort.asByteBuffer().equals(java.nio.ByteBuffer.wrap(filled(15))));
            byte[] heap = new byte[32];
            assertThrows(IllegalArgumentException.class, () -> a.deriveKey(p, salt, MemorySegment.ofArray(heap)));
            assertTrue(Arrays.equals(new byte[32], heap));
            assertThrows(IllegalArgumentException.class, () -> a.deriveKey(p, salt, arena.allocate(32).asReadOnly()));
        }
        Secret<SecretKind.Password> closed = password("password");
        closed.close();
        assertThrows(IllegalStateException.class, () -> a.hash(closed));
        assertThrows(IllegalStateException.class, () -> Argon2id.verify("$argon2id$v=19$m=4096,t=1,p=1"
                + "$PkEgMTYtYnl0ZXMgc2FsdA$ltB/ue1kPtBMBGfsysMpPigE6hiNEKZ9vs8vLNVDQGA", closed));
    }

    private static byte[] filled(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) 0x5a);
        return b;
    }
}
