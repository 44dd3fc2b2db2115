package dev.hardmem.tool;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The words and JSON of doctor's sealed-secrets rows for the cases this machine cannot show live. */
class SealingTest {
    private static final String NO_MEMFD = "the kernel lacks it (Linux 5.14+; before 6.5 it also needs"
            + " secretmem.enable=1 at boot) (memfd_secret: ENOSYS)";

    @Test
    void withoutMemfdSecretTheKeyMaterialIsOnAnonymousMemoryAndTheRowSaysWhy() {
        Sealing s = new Sealing(true, true, "1.0.18", false, NO_MEMFD);
        assertEquals("available", s.value());
        assertEquals("anonymous memory", s.keyValue());
        assertTrue(s.keyMeaning().contains("in the kernel's direct map: memfd_secret is unavailable (" + NO_MEMFD
                + ")"), s.keyMeaning());
        Map<String, Object> json = s.json();
        assertEquals("anonymous", json.get("keyBacking"));
        assertEquals(NO_MEMFD, json.get("keyBackingDetail"));
    }

    @Test
    void withMemfdSecretTheKeyMaterialIsOutsideTheDirectMapAndThereIsNoDetail() {
        Sealing s = new Sealing(true, true, "1.0.18", true, "ok");
        assertEquals("memfd_secret", s.keyValue());
        assertTrue(s.keyMeaning().endsWith("outside the kernel's direct map"), s.keyMeaning());
        assertEquals(null, s.json().get("keyBackingDetail"));
    }

    @Test
    void availableButFailingSaysSoAndPointsAtTheSelfCheck() {
        Sealing s = new Sealing(true, false, "1.0.18", true, "ok");
        assertEquals("failing", s.value());
        assertTrue(s.meaning().contains("failed the self-check"), s.meaning());
        assertEquals(Boolean.FALSE, s.json().get("works"));
    }
}
