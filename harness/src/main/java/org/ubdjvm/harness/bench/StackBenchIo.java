package org.ubdjvm.harness.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.ubdjvm.cow.CreateSpec;
import org.ubdjvm.cow.FormatTable;
import org.ubdjvm.cow.ImageOpener;
import org.ubdjvm.driver.DeviceEnvironment;
import org.ubdjvm.driver.DeviceTable;
import org.ubdjvm.driver.UbdDevice;
import org.ubdjvm.driver.UbdOptionException;
import org.ubdjvm.harness.Warnings;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.queue.RequestOp;
import org.ubdjvm.queue.RingConfig;

/**
 * The whole stack as a guest sees it: {@code ubd0=COW,BACKING} in a device table, so each request goes through the
 * device's request ring, the driver, a fresh UML COW V3 layer, and the engine. Requests go straight to
 * {@link UbdDevice#submit}; the guest's verification model is left out because it is not what is measured.
 */
final class StackBenchIo implements BenchIo {
    private final IoEngine engine;
    private final DeviceTable table;
    private final UbdDevice device;

    /**
     * Takes ownership of {@code engine}; creates {@code cow} (which must not exist) over {@code backing}; with
     * {@code direct} every layer's file is opened O_DIRECT.
     */
    StackBenchIo(IoEngine engine, Path cow, Path backing, boolean ringSpin, boolean direct, PrintWriter err)
            throws IOException {
        this.engine = engine;
        DeviceTable t = new DeviceTable(DeviceEnvironment.of(ImageOpener.over(engine)).withWarnings(Warnings.to(err))
                .withRing(RingConfig.of("ubd").withSpinWait(ringSpin)).withDirect(direct));
        try {
            FormatTable formats = FormatTable.standard();
            formats.create(CreateSpec.of(cow, formats.layerFormat().name()).withBacking(backing)
                    .withWarnings(Warnings.to(err)));
            this.device = t.add("ubd0=" + cow + "," + backing);
        } catch (UbdOptionException e) {
            closeAfterFailure(t);
            throw new IOException(e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            closeAfterFailure(t);
            throw e;
        }
        this.table = t;
    }

    private void closeAfterFailure(DeviceTable t) {
        try {
            t.close();
        } catch (IOException ignored) {
            // the failure to open is the one worth reporting
        } finally {
            engine.close();
        }
    }

    /** The device, for what a bench does beside the guest's requests (a live snapshot). */
    UbdDevice device() {
        return device;
    }

    @Override
    public void start(boolean write, long offset, ByteBuffer buffer, BenchSlot done) {
        device.submit(write ? RequestOp.WRITE : RequestOp.READ, offset, buffer, done);
    }

    @Override
    public void submit() {
        // the ring publishes each request as it is submitted: UbdDevice has no batch submit (RequestRing has)
    }

    /** Closes the device (completing, then flushing the COW) and the engine; not part of the measured time. */
    @Override
    public String describeInFlight() {
        return device.describeInFlight();
    }

    @Override
    public void close() throws IOException {
        try {
            table.close();
        } finally {
            engine.close();
        }
    }
}
