package org.ubdjvm.hostio;

import java.nio.file.Files;

/** For {@link PendingFileTest}: holds an unfinished pending file until the process is signalled. */
final class PendingFileHolder {
    private PendingFileHolder() {
    }

    public static void main(String[] args) throws Exception {
        PendingFile p = PendingFile.beside(java.nio.file.Path.of(args[0]), "create");
        Files.write(p.path(), new byte[4096]);
        System.out.println("ready");
        System.out.flush();
        Thread.sleep(60_000);
        p.close();
    }
}
