package org.ubdjvm.hostio;

/** A lock another process holds on a file, as {@code F_GETLK} reports it; pid -1 for an OFD lock. */
record LockHolder(int pid, boolean write) {
}
