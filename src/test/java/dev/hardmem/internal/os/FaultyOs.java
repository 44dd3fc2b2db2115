package dev.hardmem.internal.os;

import dev.hardmem.SystemCallException;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The real system calls, except that the next calls to {@code mmap}, {@code mprotect}, {@code madvise},
 * {@code mlock} or {@code memfd_secret} can be made to fail with a chosen errno, as if the kernel had refused them.
 * It cannot turn any check off; it can only make the operating system look less cooperative.
 */
public final class FaultyOs implements Os {
    private final Map<String, int[]> planned = new ConcurrentHashMap<>();

    /** Makes the next {@code count} calls of {@code call} fail with {@code errno} (a count below 0: every call). */
    public FaultyOs inject(String call, int errno, int count) {
        planned.put(call, new int[] {errno, count});
        return this;
    }

    /** Removes every planned fault. */
    public void clear() {
        planned.clear();
    }

    private void check(String call, String args) {
        int[] plan = planned.get(call);
        if (plan == null) {
            return;
        }
        synchronized (plan) {
            if (plan[1] == 0) {
                return;
            }
            if (plan[1] > 0) {
                plan[1]--;
            }
        }
        throw new SystemCallException(call, plan[0],
                call + "(" + args + ") failed: " + Errno.describe(plan[0]) + " [injected]");
    }

    @Override
    public MemorySegment mmap(long length, int prot, int flags, int fd, long offset) {
        check("mmap", "len=" + length);
        return Os.super.mmap(length, prot, flags, fd, offset);
    }

    @Override
    public MemorySegment mmapAt(MemorySegment hint, long length, int prot, int flags, int fd, long offset) {
        check("mmap", "len=" + length);
        return Os.super.mmapAt(hint, length, prot, flags, fd, offset);
    }

    @Override
    public void mprotect(MemorySegment region, int prot) {
        check("mprotect", "len=" + region.byteSize() + ", prot=" + prot);
        Os.super.mprotect(region, prot);
    }

    @Override
    public void madvise(MemorySegment region, int advice) {
        check("madvise", "len=" + region.byteSize() + ", advice=" + advice);
        Os.super.madvise(region, advice);
    }

    @Override
    public void mlock(MemorySegment region) {
        check("mlock", "len=" + region.byteSize());
        Os.super.mlock(region);
    }

    @Override
    public int memfdSecret(int flags) {
        check("memfd_secret", "flags=" + flags);
        return Os.super.memfdSecret(flags);
    }
}
