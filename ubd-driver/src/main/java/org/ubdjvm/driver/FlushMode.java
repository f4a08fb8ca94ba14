package org.ubdjvm.driver;

/** What a guest flush (the 2.6 barrier) does on the host. */
public enum FlushMode {
    /** Complete at once; nothing is synced (fast, unsafe: a host crash loses data the guest thought flushed). */
    NONE,
    /** The seed's "sync on barriers": fdatasync and the COW bitmap on every flush, not on every write. */
    SYNC_ON_BARRIER,
    /** {@code s}/{@code S}: every write is durable before it completes; flushes sync too. */
    SYNC_EVERY_WRITE
}
