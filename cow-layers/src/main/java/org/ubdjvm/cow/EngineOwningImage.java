package org.ubdjvm.cow;

import java.io.IOException;
import org.ubdjvm.hostio.IoEngine;

/** A stack over an engine made for it alone: closing the stack closes the engine after it. */
final class EngineOwningImage extends ForwardingBlockImage {
    private final IoEngine engine;

    EngineOwningImage(BlockImage image, IoEngine engine) {
        super(image);
        this.engine = engine;
    }

    @Override
    public void close() throws IOException {
        try {
            super.close();
        } finally {
            engine.close();
        }
    }
}
