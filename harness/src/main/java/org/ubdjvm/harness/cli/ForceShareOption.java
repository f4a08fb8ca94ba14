package org.ubdjvm.harness.cli;

import picocli.CommandLine.Option;

/** {@code -U}/{@code --force-share}, as qemu-img's: open images without the kernel's lock (the {@code c} flag). */
final class ForceShareOption {
    @Option(names = {"-U", "--force-share"},
            description = "take no lock on the image files, so another program (UML, another ubd) may hold them; "
                    + "two writers at once corrupt a COW file")
    boolean forceShare;
}
