package org.ubdjvm.harness.guest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.ubdjvm.driver.UbdDevice;
import org.ubdjvm.queue.RequestOp;

/**
 * After a crash: every block must hold at least the generation the journal says was flushed (a newer one is fine:
 * unflushed writes may survive), and no sector may be corrupt. Devices must be the run's, in the run's order.
 */
final class JournalCheck {
    private JournalCheck() {
    }

    /** Problems found, empty when everything flushed is intact. */
    static List<String> check(DurableJournal.Record journal, List<UbdDevice> devices) throws IOException, InterruptedException {
        List<String> problems = new ArrayList<>();
        int bs = journal.blockSize();
        ByteBuffer buf = ByteBuffer.allocateDirect(bs);
        for (int d = 0; d < devices.size(); d++) {
            UbdDevice device = devices.get(d);
            int[] durable = journal.durable()[d];
            for (int b = 0; b < durable.length; b++) {
                buf.clear();
                IOException e = Sync.call(device, RequestOp.READ, (long) b * bs, buf);
                if (e != null) {
                    throw e;
                }
                for (int i = 0; i < bs / VerifiedBlock.SECTOR; i++) {
                    long sector = (long) b * bs / VerifiedBlock.SECTOR + i;
                    long got = VerifiedBlock.generationOf(buf, i * VerifiedBlock.SECTOR, d, sector);
                    if (got < 0 || got < durable[b]) {
                        problems.add(device.name() + " sector " + sector + ": flushed generation " + durable[b]
                                + ", reads " + (got < 0 ? "corrupt data" : "generation " + got));
                    }
                }
            }
        }
        return problems;
    }
}
