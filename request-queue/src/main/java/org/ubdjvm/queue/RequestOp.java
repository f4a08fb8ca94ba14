package org.ubdjvm.queue;

/** What a block request asks for. FLUSH is also the barrier: nothing is reordered across it. */
public enum RequestOp {
    READ, WRITE, FLUSH, DISCARD
}
