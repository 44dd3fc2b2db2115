package dev.hardmem;

import dev.hardmem.internal.os.Environ;
import dev.hardmem.internal.os.Errno;
import dev.hardmem.internal.os.Libc;
import dev.hardmem.internal.os.OpenFile;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * Secrets read from where secrets come from, straight into a {@link Secret}'s memory, with no {@code String},
 * {@code char[]} or {@code byte[]} of them on the Java heap: a password typed at the terminal, an environment
 * variable, a file. Text encodings (hex, Base64) are in {@link Encoding}.
 *
 * {@snippet :
 * try (Secret<SecretKind.Password> pw = Inputs.terminalPassword("Passphrase: ", 1024);
 *      Secret<SecretKind.Key> key = Inputs.file(SecretKind.Key.class, Path.of("/run/secrets/db-key"), 64)) {
 *     // ...
 * }
 * }
 *
 * <h2>Security guarantees</h2>
 * Guaranteed: hardmem reads the bytes into the secret's memory with system calls ({@code read(2)}) or copies them
 * there from the C library's memory ({@code getenv}); it makes no copy of them on the heap, and the few bytes it
 * reads past the end to check the size are wiped. Not guaranteed: the copies the operating system keeps, which
 * each method names (the terminal's line buffer in the kernel, the page cache of a file, the environment block
 * and {@code /proc/self/environ}), and any copy the JDK made before (see {@link #environment}).
 */
public final class Inputs {
    /** Serialises hardmem's own uses of the environment; native code that calls {@code setenv} is not covered. */
    private static final Object ENVIRONMENT = new Object();

    private Inputs() {
    }

    // ---------------------------------------------------------------- terminal

    /**
     * {@return a password typed at the process's controlling terminal, with echo off} The prompt is written to
     * {@code /dev/tty} (not to standard output, which may be redirected); echo is turned off for the line and
     * turned back on after it, on every path out of this method: a return, an exception, and the JVM's shutdown
     * (SIGINT from Ctrl-C, SIGTERM, {@code System.exit} on another thread), through a shutdown hook registered for
     * the prompt's duration. The bytes typed are read from the terminal straight into the secret's memory; the
     * line's newline is dropped and wiped. A newline is then written to the terminal, where the echo would have
     * put one.
     *
     * <p>Not covered: SIGKILL, a crash of the JVM, {@code Runtime.halt}, and job control (Ctrl-Z stops the process
     * with echo off; most shells restore the terminal when a job stops, and echo stays off when it resumes). The
     * kernel's terminal driver holds the typed line in its own buffer until it is read. The line ends at the
     * newline only: the terminal must be in its usual (canonical) mode, in which Enter gives a newline.
     *
     * @param prompt   what to show before the password; may be empty
     * @param capacity the most bytes the password may hold, at least 1; the secret's memory reserves one more,
     *                 for the newline that is then dropped
     * @throws IllegalArgumentException if {@code capacity} is below 1 or above 64 TiB, or the line holds more than
     *                                  {@code capacity} bytes, or none (Enter alone, or Ctrl-D: the end of the
     *                                  input); nothing typed is kept, and the rest of the line is discarded from
     *                                  the terminal, never left to the next reader
     * @throws IOException              if the process has no controlling terminal (a service, a pipe, a container
     *                                  without {@code -t}), or the terminal fails
     */
    public static Secret<SecretKind.Password> terminalPassword(String prompt, long capacity) throws IOException {
        Objects.requireNonNull(prompt, "prompt");
        if (capacity < 1 || capacity >= 1L << 46) {
            throw new IllegalArgumentException("capacity must be between 1 and " + ((1L << 46) - 1) + ", was "
                    + capacity);
        }
        return Tty.readPassword(prompt, capacity);
    }

    // ---------------------------------------------------------------- environment

    /**
     * {@return a new secret holding the value of environment variable {@code name}, read through the C library's
     * {@code getenv}} The environment is left as it is; see {@link #environmentWiping} to clear it.
     *
     * <p>Not guaranteed: once anything in the process has called {@link System#getenv} (or
     * {@link ProcessBuilder#environment}), the JDK holds its own copy of every variable on the heap, which
     * hardmem can neither see nor wipe: read secrets from the environment before anything else does, or not at
     * all. The value also stays in the environment block that {@code /proc/<pid>/environ} shows to the process's
     * owner and to root, in the process that set it, and in every child this process starts.
     *
     * @param <K>  the kind, as a type
     * @param kind the kind of secret
     * @param name the variable's name
     * @throws IllegalArgumentException if {@code name} is empty or holds {@code '='} or {@code '\0'}, or the
     *                                  value is empty
     * @throws NoSuchElementException   if the variable is not set
     */
    public static <K extends SecretKind> Secret<K> environment(Class<K> kind, String name) {
        return fromEnvironment(kind, name, false);
    }

    /**
     * {@return a new secret holding the value of environment variable {@code name}, as {@link #environment} does;
     * then the value is <strong>wiped in place</strong> (set to zeros) and the variable unset}
     *
     * <p>Wiping in place clears the bytes where the C library keeps them: for a variable the process was started
     * with, that is the environment block, so {@code /proc/<pid>/environ} then shows zeros where the value was.
     * Unsetting removes the variable, so no child started afterwards inherits it. Not guaranteed: the copies named
     * in {@link #environment}, above all the JDK's if {@link System#getenv} was called first. If the secret cannot
     * be made, the variable is left as it was: its value is not lost.
     *
     * @param <K>  the kind, as a type
     * @param kind the kind of secret
     * @param name the variable's name
     * @throws IllegalArgumentException if {@code name} is empty or holds {@code '='} or {@code '\0'}, or the
     *                                  value is empty
     * @throws NoSuchElementException   if the variable is not set
     */
    public static <K extends SecretKind> Secret<K> environmentWiping(Class<K> kind, String name) {
        return fromEnvironment(kind, name, true);
    }

    private static <K extends SecretKind> Secret<K> fromEnvironment(Class<K> kind, String name, boolean wipe) {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("not the name of an environment variable: '" + name + "'");
        }
        synchronized (ENVIRONMENT) {
            MemorySegment value = Environ.get(name);
            if (value == null) {
                throw new NoSuchElementException("environment variable " + name + " is not set");
            }
            if (value.byteSize() == 0) {
                throw new IllegalArgumentException("environment variable " + name
                        + " is empty: a secret must hold at least 1 byte");
            }
            Secret<K> secret = Secret.withContents(kind, value.byteSize(), s -> s.copyFrom(value));
            if (wipe) {
                Libc.zero(value);
                Environ.unset(name);
            }
            return secret;
        }
    }

    // ---------------------------------------------------------------- files

    /**
     * {@return a new secret of exactly the size of file {@code path}, holding its bytes} For a key file, or a
     * secret that Docker or Kubernetes mounts as a file. The file is opened without following a symbolic link
     * ({@code O_NOFOLLOW}), then checked through the open descriptor, so what is checked is what is read: it must
     * be a regular file, readable by its owner only (no permission bit for group or others), and hold between 1 and
     * {@code maxSize} bytes. It is read straight into the secret's memory.
     *
     * <p>Only the last component of the path is refused when it is a link: directories above it are followed.
     * Kubernetes mounts each key of a secret volume as a link into a hidden directory ({@code key -> ..data/key}):
     * pass {@code path.toRealPath()} if you trust the directory, and set the volume's {@code defaultMode} to
     * {@code 0400}; Docker's {@code /run/secrets} are plain files, mode {@code 0444} unless the compose file sets
     * {@code mode: 0400}. Not guaranteed: the copy in the kernel's page cache, and the file itself, which hardmem
     * neither wipes nor deletes.
     *
     * @param <K>     the kind, as a type
     * @param kind    the kind of secret
     * @param path    the file, on the default file system
     * @param maxSize the most bytes the file may hold, at least 1
     * @throws IllegalArgumentException if {@code maxSize} is below 1 or above 64 TiB, or {@code path} is not on
     *                                  the default file system, or the file is empty or larger than
     *                                  {@code maxSize}
     * @throws NoSuchFileException      if there is no such file
     * @throws AccessDeniedException    if this process may not read it
     * @throws FileSystemException      if it is a symbolic link, not a regular file (a directory, a device), or
     *                                  readable or writable by its group or by others (the message gives its
     *                                  mode and how to fix it)
     * @throws IOException              if reading fails, or the file changes size while it is read; nothing read is
     *                                  kept
     */
    public static <K extends SecretKind> Secret<K> file(Class<K> kind, Path path, long maxSize) throws IOException {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(path, "path");
        if (maxSize < 1 || maxSize > 1L << 46) {
            throw new IllegalArgumentException("maxSize must be between 1 and " + (1L << 46) + ", was " + maxSize);
        }
        if (path.getFileSystem() != FileSystems.getDefault()) {
            throw new IllegalArgumentException("not a path of the default file system: " + path.getFileSystem());
        }
        String name = path.toAbsolutePath().toString();
        int fd = open(name);
        try {
            OpenFile.Status st = OpenFile.status(fd);
            if ((st.mode() & OpenFile.S_IFMT) != OpenFile.S_IFREG) {
                throw new FileSystemException(name, null, "not a regular file");
            }
            int permissions = st.mode() & 0777;
            if ((permissions & 0077) != 0) {
                throw new FileSystemException(name, null, String.format("permissions %04o let the group or others"
                        + " at it; a secret file must be the owner's only (chmod 400 or 600)", permissions));
            }
            if (st.size() == 0) {
                throw new IllegalArgumentException("the file " + name + " is empty: a secret must hold at least 1"
                        + " byte");
            }
            if (st.size() > maxSize) {
                throw new IllegalArgumentException("the file " + name + " holds " + st.size()
                        + " bytes, more than the maximum of " + maxSize);
            }
            Secret<K> secret = Secret.withContents(kind, st.size(), out -> readExactly(fd, name, out));
            closeAfterRead(fd);
            return secret;
        } catch (Throwable t) {
            try {
                Libc.close(fd);
            } catch (SystemCallException e) {
                t.addSuppressed(e);
            }
            throw t;
        }
    }

    /**
     * Closes a read-only descriptor whose file is read in full: a failure there loses nothing (the bytes are in the
     * secret, and the kernel frees the descriptor whatever {@code close} returns), so it is not thrown, which would
     * drop the secret for the cleaner to find.
     */
    private static void closeAfterRead(int fd) {
        try {
            Libc.close(fd);
        } catch (SystemCallException ignored) {
            // see above
        }
    }

    private static int open(String name) throws IOException {
        try {
            return OpenFile.openNoFollow(name);
        } catch (SystemCallException e) {
            throw switch (e.errno()) {
                case Errno.ENOENT -> new NoSuchFileException(name);
                case Errno.EACCES, Errno.EPERM -> new AccessDeniedException(name);
                case Errno.ELOOP -> new FileSystemException(name, null, "a symbolic link, which hardmem does not"
                        + " follow; pass path.toRealPath() if you trust where it leads");
                default -> new IOException(e.getMessage(), e);
            };
        }
    }

    /** {@code read(2)}, again when a signal interrupted it before it read anything ({@code EINTR}). */
    private static long readRetrying(int fd, MemorySegment into) {
        while (true) {
            try {
                return Libc.read(fd, into);
            } catch (SystemCallException e) {
                if (e.errno() != Errno.EINTR) {
                    throw e;
                }
            }
        }
    }

    /** Fills {@code out} from {@code fd}, then checks the file has nothing more: it must not change meanwhile. */
    private static void readExactly(int fd, String name, MemorySegment out) throws IOException {
        try {
            long done = 0;
            while (done < out.byteSize()) {
                long n = readRetrying(fd, out.asSlice(done));
                if (n == 0) {
                    throw new IOException("the file " + name + " shrank while it was read");
                }
                done += n;
            }
            try (Arena probe = Arena.ofConfined()) {
                MemorySegment one = probe.allocate(1);
                long n = readRetrying(fd, one);
                Libc.zero(one);
                if (n != 0) {
                    throw new IOException("the file " + name + " grew while it was read");
                }
            }
        } catch (SystemCallException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
