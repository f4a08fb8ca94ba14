package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DemoTest {
    @Test
    void buildsTheStackAndFindsNoMismatch() {
        String out = Ubd.run("demo").ok().out();
        assertTrue(out.contains("\nmismatches: 0\n"), out);
        assertTrue(out.contains("layer3-v3.cow   cow V3  over layer2-v2.cow"), out);
        assertTrue(out.contains("layer1-v1.cow   cow V1  over back.img"), out);
        assertTrue(out.contains("checked: 8192 sectors through the chain, then 8192 again after flush and reopen"),
                out);
        assertTrue(out.contains("guest: 2 threads x iodepth 8, 4 KiB random 50% reads through ring -> ubda -> stack"), out);
        // auto picks io_uring where the kernel has it (these hosts do); CI must prove the real engine runs
        assertTrue(out.contains("engine: io_uring\n") || !org.ubdjvm.hostio.testing.CiRule.inCi() && out.contains("engine: "), out);
    }
}
