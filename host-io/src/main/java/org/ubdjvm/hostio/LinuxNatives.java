package org.ubdjvm.hostio;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The few libc entry points the native engines need, bound with JNA direct mapping (a JNI stub per method, no
 * reflection or varargs boxing per call, which matters because io_uring_enter and io_submit are on the hot path).
 * Everything else goes through raw {@code syscall(2)}: Debian ships no liburing or libaio we may depend on, and the
 * kernel ABI is what the seed asked us to test ("the syscalls can be tested with syscall()").
 *
 * <p>Loading this class fails with a {@link LinkageError} where JNA has no native stub; callers turn that into
 * "engine unavailable".
 */
final class LinuxNatives {
    // x86_64 numbers. io_uring's 425..427 are the same on every architecture, the aio ones are not.
    static final long SYS_IO_SETUP = 206;
    static final long SYS_IO_DESTROY = 207;
    static final long SYS_IO_GETEVENTS = 208;
    static final long SYS_IO_SUBMIT = 209;
    static final long SYS_IO_CANCEL = 210;
    static final long SYS_IO_URING_SETUP = 425;
    static final long SYS_IO_URING_ENTER = 426;
    static final long SYS_IO_URING_REGISTER = 427;
    static final long SYS_FCNTL = 72;

    static final int F_GETLK = 5;
    static final short F_RDLCK = 0;
    static final short F_WRLCK = 1;
    static final short F_UNLCK = 2;
    /** x86_64 {@code struct flock}: short l_type, short l_whence, (pad), off_t l_start, off_t l_len, pid_t l_pid. */
    private static final int FLOCK_SIZE = 32;
    private static final int FLOCK_PID = 24;

    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_DSYNC = 0x1000;
    static final int O_DIRECT = 0x4000;
    static final int O_CLOEXEC = 0x80000;

    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 1;
    static final int MAP_POPULATE = 0x8000;
    static final long MAP_FAILED = -1L;

    static {
        Native.register(LinuxNatives.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private LinuxNatives() {
    }

    /**
     * glibc's variadic {@code syscall(2)} bound with six fixed long arguments: on x86_64 glibc implements it in
     * assembly that only moves registers, so a fixed-arity call is exactly what a C caller passes.
     */
    static native long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

    static native long mmap(long address, long length, int prot, int flags, int fd, long offset);

    static native int munmap(long address, long length);

    static native int open(String path, int flags, int mode);

    static native int close(int fd);

    static native int fallocate(int fd, int mode, long offset, long length);

    static native long lseek(int fd, long offset, int whence);

    static final int SEEK_DATA = 3;

    static final int FALLOC_FL_KEEP_SIZE = 1;
    static final int FALLOC_FL_PUNCH_HOLE = 2;

    /** errno of the last native call on this thread (JNA saves it right after the call, before the JVM can clobber it). */
    static int errno() {
        return Native.getLastError();
    }

    /** Throws unless the running JVM can use the syscall numbers above. */
    static void requireX86_64(String what) throws IOException {
        if (!Platform.isLinux() || !Platform.isIntel() || !Platform.is64Bit()) {
            throw new EngineUnavailableException(what + ": raw syscall numbers are known for Linux x86_64 only, not "
                    + System.getProperty("os.name") + "/" + System.getProperty("os.arch"),
                    EngineUnavailableException.Reason.UNSUPPORTED);
        }
    }

    /** The failure of a native call as one line: {@code what: EBADF (Bad file descriptor)}. */
    static IOException failure(String what, int errno) {
        return new IOException(what + ": " + Errno.describe(errno));
    }

    /**
     * Who holds a lock that conflicts with a whole-file {@code write} (else read) lock on {@code fd}: {@code F_GETLK},
     * as the UML kernel asks before it prints "file already locked by pid N". Null when nobody does any more, or
     * where the syscall numbers are unknown.
     */
    static LockHolder lockHolder(int fd, boolean write) {
        if (!Platform.isLinux() || !Platform.isIntel() || !Platform.is64Bit()) {
            return null;
        }
        try (com.sun.jna.Memory flock = new com.sun.jna.Memory(FLOCK_SIZE)) {
            flock.clear();
            flock.setShort(0, write ? F_WRLCK : F_RDLCK); // whence SEEK_SET, start 0, length 0: the whole file
            if (syscall(SYS_FCNTL, fd, F_GETLK, com.sun.jna.Pointer.nativeValue(flock), 0, 0, 0) != 0) {
                return null;
            }
            short type = flock.getShort(0);
            return type == F_UNLCK ? null : new LockHolder(flock.getInt(FLOCK_PID), type == F_WRLCK);
        }
    }

    /** Address of a direct buffer's first byte (not its position). */
    static long address(ByteBuffer direct) {
        return BufferAddress.of(direct);
    }
}
