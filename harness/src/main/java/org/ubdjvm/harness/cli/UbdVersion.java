package org.ubdjvm.harness.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** {@code ubd --version}: the Maven project version, filtered into a resource so it is never typed twice. */
final class UbdVersion implements IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
        Properties p = new Properties();
        try (InputStream in = UbdVersion.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        }
        return new String[] {"ubd " + p.getProperty("version", "(unknown version)")};
    }
}
