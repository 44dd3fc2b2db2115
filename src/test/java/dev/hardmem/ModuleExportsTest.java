package dev.hardmem;

import org.junit.jupiter.api.Test;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModuleExportsTest {
    @Test
    void onlyApiPackagesAreExported() {
        Path classes = Path.of(System.getProperty("hardmem.test.classes", "target/classes"));
        ModuleDescriptor d = ModuleFinder.of(classes).find("dev.hardmem").orElseThrow().descriptor();
        Set<String> exported = new TreeSet<>();
        for (ModuleDescriptor.Exports e : d.exports()) {
            assertTrue(e.targets().isEmpty(), "qualified export " + e);
            exported.add(e.source());
        }
        for (String p : exported) {
            assertTrue(!p.contains("internal") && !p.endsWith(".tool"), "exports " + p);
        }
        assertTrue(d.packages().contains("dev.hardmem.internal.os"));
        assertEquals(ApiPackages.ALL, exported);
    }
}
