package org.ubdjvm.hostio;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.lang.reflect.Field;
import java.nio.Buffer;
import java.nio.ByteBuffer;

/**
 * A direct buffer's address, read from the buffer's own {@code address} field: JNA's
 * {@code Native.getDirectBufferPointer} answers with a new {@link Pointer} object per call, an allocation per
 * request on the io_uring and aio paths. {@code sun.misc.Unsafe} (module jdk.unsupported, readable without
 * {@code --add-opens}) reads the field by its offset; where that is not possible, JNA's way is used.
 */
final class BufferAddress {
    private static final sun.misc.Unsafe UNSAFE;
    private static final long ADDRESS_OFFSET;

    static {
        sun.misc.Unsafe unsafe = null;
        long offset = -1;
        try {
            Field theUnsafe = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            theUnsafe.setAccessible(true);
            unsafe = (sun.misc.Unsafe) theUnsafe.get(null);
            offset = unsafe.objectFieldOffset(Buffer.class.getDeclaredField("address"));
            ByteBuffer probe = ByteBuffer.allocateDirect(16);
            if (unsafe.getLong(probe, offset) != Pointer.nativeValue(Native.getDirectBufferPointer(probe))) {
                offset = -1; // not the field we think it is: stay with JNA
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            offset = -1;
        }
        UNSAFE = offset < 0 ? null : unsafe;
        ADDRESS_OFFSET = offset;
    }

    private BufferAddress() {
    }

    /** Address of {@code direct}'s first byte (not its position). */
    static long of(ByteBuffer direct) {
        if (UNSAFE != null) {
            return UNSAFE.getLong(direct, ADDRESS_OFFSET);
        }
        return Pointer.nativeValue(Native.getDirectBufferPointer(direct));
    }
}
