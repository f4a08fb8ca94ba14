package org.ubdjvm.cow;

/**
 * A layer the caller opened itself and lent to a chain ({@link OpenSpec#openLayer()}): the chain reads through it
 * and leaves closing it to its owner.
 */
final class SharedLayer extends ForwardingBlockImage {
    SharedLayer(BlockImage lent) {
        super(lent);
    }

    @Override
    public void close() {
        // the owner closes it
    }
}
