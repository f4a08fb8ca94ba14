package org.ubdjvm.harness.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.ubdjvm.harness.control.ControlClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ubd ctl}: one command to a running {@code ubd run --control=SOCKET}, for people and scripts. Prints the
 * command's return value as JSON; an error reply is one line and exit 2.
 */
@Command(name = "ctl", description = {"Send one command to a running 'ubd run --control=SOCKET' and print its reply.",
        "  ubd ctl S query-devices",
        "  ubd ctl S snapshot ubd0 top2.cow [format=cow]",
        "  ubd ctl S NAME [KEY=VALUE ...]      any command, arguments as strings",
        "  ubd ctl S --json '{\"execute\": \"query-devices\"}'"})
final class CtlCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SOCKET")
    Path socket;

    @Parameters(index = "1..*", paramLabel = "COMMAND", arity = "0..*")
    List<String> words = new ArrayList<>();

    @Option(names = "--json", paramLabel = "LINE", description = "send LINE as it is (one QMP-shaped request)")
    String rawLine;

    private final ObjectMapper json = new ObjectMapper();

    @Override
    public Integer call() throws IOException {
        if ((rawLine == null) == words.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "give a COMMAND or --json LINE, not both");
        }
        JsonNode reply;
        try (ControlClient client = ControlClient.connect(socket)) {
            reply = rawLine != null ? client.send(rawLine) : client.execute(words.get(0), arguments());
        }
        PrintWriter out = spec.commandLine().getOut();
        if (reply.has("error")) {
            spec.commandLine().getErr().println("ubd: ctl: " + reply.get("error").path("class").asText() + ": "
                    + reply.get("error").path("desc").asText());
            return UbdMain.BAD_INPUT;
        }
        out.println(json.writerWithDefaultPrettyPrinter().writeValueAsString(reply.get("return")));
        return UbdMain.OK;
    }

    /** {@code snapshot DEVICE FILE} by position, else KEY=VALUE words. */
    private ObjectNode arguments() {
        ObjectNode args = json.createObjectNode();
        List<String> rest = words.subList(1, words.size());
        List<String> positional = words.get(0).equals("snapshot") ? List.of("device", "file") : List.of();
        int position = 0;
        for (String w : rest) {
            int eq = w.indexOf('=');
            if (eq > 0) {
                args.put(w.substring(0, eq), w.substring(eq + 1));
            } else if (position < positional.size()) {
                String key = positional.get(position++);
                args.put(key, key.equals("file") ? Path.of(w).toAbsolutePath().toString() : w);
            } else {
                throw new ParameterException(spec.commandLine(), "'" + w + "': arguments are KEY=VALUE");
            }
        }
        return args;
    }
}
