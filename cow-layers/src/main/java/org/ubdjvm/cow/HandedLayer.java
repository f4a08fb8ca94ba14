package org.ubdjvm.cow;

import java.io.IOException;

/**
 * An open stack lent to a layer being opened over it: if that open fails, the format closes what it opened below,
 * and this must not close the caller's stack with it. Once the new layer is open, {@link #adopt()} hands it over.
 */
final class HandedLayer extends ForwardingBlockImage {
    private volatile boolean adopted;

    HandedLayer(BlockImage below) {
        super(below);
    }

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
