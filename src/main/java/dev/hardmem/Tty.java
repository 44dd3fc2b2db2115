package dev.hardmem;

import dev.hardmem.internal.os.Errno;
import dev.hardmem.internal.os.Libc;
import dev.hardmem.internal.os.Terminal;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;

/**
 * One password prompt on the controlling terminal: echo off, the line read into a secret, echo back on. The
 * terminal's settings are restored exactly once, by whichever comes first: the prompt's own end, or the shutdown
 * hook that covers the prompt's duration.
 */
final class Tty implements ReadableByteChannel {
    private final int fd;
    /** The settings to put back; not secret, and reached from the shutdown hook's thread, so not confined. */
    private final MemorySegment saved = Arena.ofAuto().allocate(Terminal.TERMIOS_SIZE, 8);
    /** Whether echo is off and the settings in {@link #saved} are to be put back. */
    private boolean echoIsOff;
    private boolean lineEnded;

    private Tty(int fd) {
        this.fd = fd;
    }

    static Secret<SecretKind.Password> readPassword(String prompt, long capacity) throws IOException {
        int fd = openTerminal();
        try {
            Tty tty = new Tty(fd);
            Thread hook = new Thread(tty::restore, "hardmem: terminal echo back on");
            // First the hook, then echo off: a JVM already shutting down refuses the hook, and echo stays on.
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                tty.echoOff();
                tty.write(prompt);
                return Secret.readFrom(SecretKind.Password.class, tty, capacity + 1);
            } finally {
                tty.restore();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs, or has run, restore(): which does nothing the second time
                }
            }
        } finally {
            Libc.close(fd);
        }
    }

    private static int openTerminal() throws IOException {
        try {
            return Terminal.open();
        } catch (SystemCallException e) {
            if (e.errno() == Errno.ENXIO) {
                throw new IOException("no terminal: this process has no controlling terminal (/dev/tty: "
                        + Errno.describe(e.errno()) + "); read the password from elsewhere, e.g. Secret.readFrom",
                        e);
            }
            throw new IOException("cannot open the terminal: " + e.getMessage(), e);
        }
    }

    /** Saves the terminal's settings and turns echo off; from here on, {@link #restore} has something to do. */
    private synchronized void echoOff() throws IOException {
        try {
            Terminal.echoOff(fd, saved);
        } catch (SystemCallException e) {
            throw new IOException("/dev/tty is not a terminal: " + e.getMessage(), e);
        }
        echoIsOff = true;
    }

    /**
     * Ends the prompt's line, which the newline typed did not (echo was off), and puts the terminal's settings
     * back, once; input typed but not read (the rest of a line too long) is discarded.
     */
    private synchronized void restore() {
        if (echoIsOff) {
            echoIsOff = false;
            try {
                write("\n");
            } catch (IOException ignored) {
                // a terminal that fails to write may still take its settings back
            }
            Terminal.restore(fd, saved);
        }
    }

    private void write(String text) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = arena.allocateFrom(ValueLayout.JAVA_BYTE,
                    text.getBytes(StandardCharsets.UTF_8));
            long done = 0;
            while (done < bytes.byteSize()) {
                long n = Libc.writeOrErrno(fd, bytes.asSlice(done));
                if (n < 0 && n != -Errno.EINTR) {
                    throw new IOException("writing to the terminal failed: " + Errno.describe((int) -n));
                }
                done += Math.max(n, 0);
            }
        }
    }

    /**
     * Reads what the terminal gives, straight into {@code dst} (a direct view of the secret's memory), up to the end
     * of the line: after a newline, or when the terminal's input ends, this channel is at its end.
     */
    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (lineEnded) {
            return -1;
        }
        MemorySegment into = MemorySegment.ofBuffer(dst);
        long n;
        do {
            n = Terminal.readOrErrno(fd, into);
        } while (n == -Errno.EINTR);
        if (n < 0) {
            throw new IOException("reading the terminal failed: " + Errno.describe((int) -n));
        }
        if (n == 0) {
            lineEnded = true;
            return -1;
        }
        // In canonical mode one read gives at most one line, so a newline can only be its last byte.
        lineEnded = into.get(ValueLayout.JAVA_BYTE, n - 1) == '\n';
        dst.position(dst.position() + (int) n);
        return (int) n;
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public void close() {
        // the descriptor is closed by readPassword
    }
}
