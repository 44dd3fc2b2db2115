package dev.hardmem;

import dev.hardmem.testing.ChildJvm;
import dev.hardmem.testing.ScriptPty;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Inputs#terminalPassword} on a real pseudo-terminal: a child JVM runs under {@code script(1)}, which gives it
 * a pty as its controlling terminal and copies what this test writes to the pty's master. Whatever the pty echoes
 * shows in {@code script}'s output, so a typed password that is absent from it was not echoed; a line typed after
 * the prompt (the control) is echoed, and {@code stty -a}, run on the same terminal after the child has gone, shows
 * the settings it left behind.
 */
class TerminalPasswordTest {
    private static final String PROMPT = "Passphrase for the test: ";

    /** Child: prompts, prints the password in hex, reads one more line with echo on, prints it. */
    public static final class Prompt {
        public static void main(String[] args) throws Exception {
            long capacity = Long.parseLong(args[0]);
            System.out.println("PID=" + ProcessHandle.current().pid() + ".");
            try (Secret<SecretKind.Password> pw = Inputs.terminalPassword(PROMPT, capacity)) {
                System.out.println("GOT=" + HexFormat.of().formatHex(pw.insecureCopyToHeap()));
            } catch (IllegalArgumentException e) {
                System.out.println("REFUSED=" + e.getMessage());
            }
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            System.out.println("LINE=" + in.readLine());
        }
    }

    /** Child without a terminal: prints what the prompt throws. */
    public static final class NoTerminal {
        public static void main(String[] args) {
            try {
                Inputs.terminalPassword(PROMPT, 64).close();
                System.out.println("READ");
            } catch (IOException e) {
                System.out.println("THREW=" + e.getClass().getName() + ": " + e.getMessage());
            }
        }
    }

    private static ScriptPty prompt(String capacity) throws IOException {
        return new ScriptPty(Map.of(), List.of(), Prompt.class, capacity);
    }

    @Test
    @Timeout(180)
    void thePasswordIsNotEchoedItsNewlineIsDroppedAndEchoIsBackAfterwards() throws Exception {
        try (ScriptPty s = prompt("64")) {
            s.waitFor(PROMPT);
            s.type("hunter2-typed\n");
            s.waitFor("GOT=");
            s.type("visible-after\n"); // the control: echo is on again, so this shows twice (echo, LINE=)
            String shown = s.finish();
            String hex = HexFormat.of().formatHex("hunter2-typed".getBytes(StandardCharsets.US_ASCII));
            assertTrue(shown.contains("GOT=" + hex + "\r\n"), shown);
            assertFalse(shown.contains("hunter2"), "the password was echoed:\n" + shown);
            assertTrue(shown.contains("visible-after\r\nLINE=visible-after"), "the line typed afterwards was not"
                    + " echoed:\n" + shown);
            assertTrue(shown.contains("EXIT=0"), shown);
            assertTrue(ScriptPty.echoOnAtTheEnd(shown), shown);
        }
    }

    @Test
    @Timeout(180)
    void ctrlCWhileThePromptWaitsEndsTheJvmWithEchoBackOn() throws Exception {
        try (ScriptPty s = prompt("64")) {
            s.waitFor(PROMPT);
            s.type("half-typed");
            Thread.sleep(300);
            s.type("\u0003"); // Ctrl-C: the terminal sends SIGINT to the foreground process group
            String shown = s.finish();
            assertFalse(shown.contains("half-typed"), "the password was echoed:\n" + shown);
            assertFalse(shown.contains("GOT="), shown);
            assertTrue(shown.contains("EXIT=130"), "the JVM did not end on SIGINT:\n" + shown);
            assertTrue(ScriptPty.echoOnAtTheEnd(shown), "echo stayed off after SIGINT:\n" + shown);
        }
    }

    @Test
    @Timeout(180)
    void sigtermWhileThePromptWaitsEndsTheJvmWithEchoBackOn() throws Exception {
        try (ScriptPty s = prompt("64")) {
            s.waitFor(PROMPT);
            String shown = s.shown();
            int at = shown.indexOf("PID=") + 4;
            long pid = Long.parseLong(shown.substring(at, shown.indexOf('.', at)));
            s.type("half-typed");
            Thread.sleep(300);
            assertTrue(ProcessHandle.of(pid).orElseThrow().destroy(), "SIGTERM was not sent");
            shown = s.finish();
            assertFalse(shown.contains("half-typed"), "the password was echoed:\n" + shown);
            assertTrue(shown.contains("EXIT=143"), "the JVM did not end on SIGTERM:\n" + shown);
            assertTrue(ScriptPty.echoOnAtTheEnd(shown), "echo stayed off after SIGTERM:\n" + shown);
        }
    }

    @Test
    @Timeout(180)
    void aLineLongerThanTheCapacityIsRefusedAndItsRestDiscardedNotLeftToTheNextReader() throws Exception {
        try (ScriptPty s = prompt("8")) {
            s.waitFor(PROMPT);
            s.type("123456789-too-long\n");
            s.waitFor("REFUSED=");
            s.type("next-line\n");
            String shown = s.finish();
            assertFalse(shown.contains("too-long"), "the rest of the line was echoed or passed on:\n" + shown);
            assertTrue(shown.contains("LINE=next-line"), shown);
            assertTrue(ScriptPty.echoOnAtTheEnd(shown), shown);
        }
    }

    @Test
    @Timeout(180)
    void withoutATerminalTheErrorSaysSo() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of("setsid", "-w"), List.of(), NoTerminal.class);
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.stdout().contains("THREW=java.io.IOException: no terminal: this process has no controlling"
                + " terminal"), r.output());
    }
}
