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
import org.ubdjvm.harness.ByteSize;
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
        "  ubd ctl S snapshot ubd0 top2.cow [format=cow] [-o version=2]",
        "  ubd ctl S commit ubd0 [--top=FILE] [--base=FILE] [--speed=N[kMG]] [--wait]",
        "  ubd ctl S jobs                       (query-jobs)",
        "  ubd ctl S job-cancel ID",
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

    @Option(names = "-o", paramLabel = "OPT=VALUE[,...]", split = ",", description = "snapshot: a create option of the"
            + " new top, as 'ubd create -o' takes them (version=2); may be repeated")
    List<String> createOptions = new ArrayList<>();

    @Option(names = "--top", paramLabel = "FILE", description = "commit: the uppermost layer to merge "
            + "(default: the one below the active top)")
    Path top;

    @Option(names = "--base", paramLabel = "FILE", description = "commit: the layer to merge into (default: the bottom)")
    Path base;

    @Option(names = "--speed", paramLabel = "N", description = "commit: at most N bytes a second (k, M, G suffixes)")
    String speed;

    @Option(names = "--wait", description = "commit: print progress until the job ends, then its event; exit 0 when it"
            + " completed, 1 when it was cancelled or failed")
    boolean await;

    /** How often --wait asks for progress. */
    static final long POLL_MILLIS = 500;

    private final ObjectMapper json = new ObjectMapper();

    @Override
    public Integer call() throws IOException {
        if ((rawLine == null) == words.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "give a COMMAND or --json LINE, not both");
        }
        boolean commit = rawLine == null && words.get(0).equals("commit");
        if (!commit && (top != null || base != null || speed != null || await)) {
            throw new ParameterException(spec.commandLine(), "--top, --base, --speed and --wait are for commit");
        }
        if (!createOptions.isEmpty() && (rawLine != null || !words.get(0).equals("snapshot"))) {
            throw new ParameterException(spec.commandLine(), "-o is for snapshot");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (ControlClient client = ControlClient.connect(socket)) {
            if (await) {
                client.execute("qmp_capabilities", null); // events from here on
            }
            JsonNode reply = rawLine != null ? client.send(rawLine) : client.execute(command(), arguments());
            if (reply.has("error")) {
                spec.commandLine().getErr().println("ubd: ctl: " + reply.get("error").path("class").asText() + ": "
                        + reply.get("error").path("desc").asText());
                return UbdMain.BAD_INPUT;
            }
            if (await) {
                return awaitJob(client, reply.get("return").path("id").asText(), out);
            }
            out.println(json.writerWithDefaultPrettyPrinter().writeValueAsString(reply.get("return")));
            return UbdMain.OK;
        }
    }

    /** {@code jobs} is {@code query-jobs}. */
    private String command() {
        return words.get(0).equals("jobs") ? "query-jobs" : words.get(0);
    }

    /**
     * Prints a progress line whenever the job moved, until its event arrives (printed as one JSON line), or until
     * {@code query-jobs} shows it ended should its event have been dropped.
     */
    private int awaitJob(ControlClient client, String id, PrintWriter out) throws IOException {
        String last = "";
        while (true) {
            JsonNode jobs = client.execute("query-jobs", null).path("return");
            for (JsonNode event : client.takeEvents()) {
                if (id.equals(event.path("data").path("id").asText()) && event.path("event").asText().startsWith("JOB_")) {
                    out.println(json.writeValueAsString(event));
                    out.flush();
                    return event.path("event").asText().equals("JOB_COMPLETED") ? UbdMain.OK : UbdMain.MISMATCH;
                }
            }
            for (JsonNode job : jobs) {
                if (!job.path("id").asText().equals(id)) {
                    continue;
                }
                String state = job.path("state").asText();
                long done = job.path("done").asLong();
                long total = job.path("total").asLong();
                String line = id + ": " + state + " " + ByteSize.human(done) + " / " + ByteSize.human(total)
                        + (total > 0 ? " (" + done * 100 / total + "%)" : "") + ", " + ByteSize.human(job.path("speed")
                        .asLong()) + "/s";
                if (!line.equals(last)) {
                    out.println(line);
                    out.flush();
                    last = line;
                }
                if (!state.equals("running")) {
                    return state.equals("completed") ? UbdMain.OK : UbdMain.MISMATCH;
                }
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return UbdMain.INTERNAL_ERROR;
            }
        }
    }

    /** {@code snapshot DEVICE FILE}, {@code commit DEVICE}, {@code job-cancel ID} by position, else KEY=VALUE words. */
    private ObjectNode arguments() {
        ObjectNode args = json.createObjectNode();
        List<String> rest = words.subList(1, words.size());
        List<String> positional = switch (words.get(0)) {
            case "snapshot" -> List.of("device", "file");
            case "commit" -> List.of("device");
            case "job-cancel" -> List.of("id");
            default -> List.of();
        };
        if (top != null) {
            args.put("top", top.toAbsolutePath().toString());
        }
        if (base != null) {
            args.put("base", base.toAbsolutePath().toString());
        }
        if (speed != null) {
            args.put("speed", speed);
        }
        if (!createOptions.isEmpty()) {
            ObjectNode options = args.putObject("options");
            CreateCommand.keyValues(createOptions, spec.commandLine()).forEach(options::put);
        }
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
