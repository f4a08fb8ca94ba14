package org.ubdjvm.cow;

import java.io.IOException;

/**
 * A layer the caller opened itself and lent to a chain ({@link FormatTable#withOpenLayer}): the chain reads through
 * it and leaves closing it to its owner, unless the owner hands it over with {@link #adopt()} (a live snapshot,
 * once the new top is open: if that open fails, the format closes what it opened below, and must not close the
 * caller's stack with it).
 */
final class SharedLayer extends ForwardingBlockImage {
    private volatile boolean adopted;

    SharedLayer(BlockImage lent) {
        super(lent);
    }

    /** From now on closing the chain closes the lent layer too. */
    void adopt() {
        adopted = true;
    }

    @Override
    public void close() throws IOException {
        if (adopted) {
            super.close();
        }
    }
}
