package org.ubdjvm.harness.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import org.ubdjvm.harness.OutOfMemory;
import org.ubdjvm.hostio.Errno;
import org.ubdjvm.hostio.IoEngine;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code ubd} command, modelled on qemu-img/qemu-io. Exit codes are qemu-img's: 0 ok, 1 a verify or pattern
 * mismatch and nothing else, 2 bad input, usage, or a host error the user can act on (ENOSPC, EIO, EACCES, a lock
 * held, out of memory: one line saying what); 3 is a bug in ubd itself (the only case that prints a stack trace).
 */
@Command(name = "ubd", mixinStandardHelpOptions = true, versionProvider = UbdVersion.class,
        scope = CommandLine.ScopeType.INHERIT, // -h/-V and the exit code list on every subcommand too
        description = "Create, inspect, read/write and convert ubd images (raw, UML COW V1/V2/V3).",
        subcommands = {CreateCommand.class, InfoCommand.class, IoCommand.class, ConvertCommand.class,
                DemoCommand.class, RunCommand.class, BenchCommand.class, ReplayCommand.class,
                ServeCommand.class, CheckCommand.class, MapCommand.class, CompareCommand.class,
                CommitCommand.class, CtlCommand.class, RebaseCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:pattern or verify mismatch", "2:bad input or usage, or a host error to act on"
                + " (ENOSPC, EIO, EACCES, a lock held, out of memory)", "3:internal error (a bug in ubd)"})
public final class UbdMain implements Callable<Integer> {
    static final int OK = 0;
    static final int MISMATCH = 1;
    static final int BAD_INPUT = 2;
    static final int INTERNAL_ERROR = 3;

    @Spec
    CommandSpec spec;

    /** {@code ubd} alone is a usage error, as {@code qemu-img} alone is. */
    @Override
    public Integer call() {
        CommandLine cli = spec.commandLine();
        throw new ParameterException(cli, "missing a command (" + commandNames(cli) + ")");
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        // The heap can run out on any thread (an engine's completions, a ring's worker): one line and exit 2 there too
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> {
            if (e instanceof OutOfMemoryError oom) {
                err.println("ubd: " + OutOfMemory.advice(oom, args));
                Runtime.getRuntime().halt(BAD_INPUT);
            }
            err.print("Exception in thread \"" + thread.getName() + "\" ");
            e.printStackTrace(err);
        });
        System.exit(run(args, out, err));
    }

    /** Runs one command line; returns its exit code. Tests call this in-process with their own writers. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        return run(args, out, err, UnaryOperator.identity());
    }

    /**
     * The test seam of the composition root, not an option: {@code engineSeam} wraps the engine {@code ubd run}
     * opens before any device sees it, so a test can put a fault-injecting engine under the real command.
     */
    static int run(String[] args, PrintWriter out, PrintWriter err, UnaryOperator<IoEngine> engineSeam) {
        CommandLine.IFactory standard = CommandLine.defaultFactory();
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> type) throws Exception {
                return type == RunCommand.class ? type.cast(new RunCommand(engineSeam)) : standard.create(type);
            }
        };
        CommandLine cli = new CommandLine(new UbdMain(), factory)
                .setOut(out)
                .setErr(err)
                .setParameterExceptionHandler(UbdMain::usageError)
                .setExecutionExceptionHandler(UbdMain::failure);
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) { // an Error passes picocli's handlers by
            err.println("ubd: " + OutOfMemory.advice(e, args));
            return BAD_INPUT;
        } finally {
            out.flush();
            err.flush();
        }
    }

    private static int usageError(ParameterException e, String[] args) {
        CommandLine cli = e.getCommandLine();
        String message = e.getMessage();
        // the top command takes no parameters, so a word it does not know is a mistyped command name
        if (e instanceof UnmatchedArgumentException u && cli.getParent() == null && !u.getUnmatched().isEmpty()
                && !u.getUnmatched().get(0).startsWith("-")) {
            message = "unknown command '" + u.getUnmatched().get(0) + "' (known: " + commandNames(cli) + ")";
        }
        String help = cli.getCommandSpec().qualifiedName() + " --help";
        cli.getErr().println("ubd: " + oneLine(message) + " (see '" + help + "')");
        return BAD_INPUT;
    }

    private static String commandNames(CommandLine top) {
        return String.join(", ", top.getSubcommands().keySet());
    }

    /** User errors (bad files, bad requests) are one line; anything else is a bug and keeps its stack trace. */
    private static int failure(Exception e, CommandLine cli, ParseResult parsed) {
        Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
        PrintWriter err = cli.getErr();
        if (cause instanceof OutOfMemoryError oom) {
            err.println("ubd: " + OutOfMemory.advice(oom, parsed.originalArgs().toArray(String[]::new)));
            return BAD_INPUT;
        }
        if (cause instanceof IOException || cause instanceof ParameterException) {
            err.println("ubd: " + oneLine(describe(cause)));
            return BAD_INPUT;
        }
        err.println("ubd: internal error: " + cause);
        cause.printStackTrace(err);
        return INTERNAL_ERROR;
    }

    /** JDK file exceptions carry the path and the reason separately; ours already read "file: reason". */
    private static String describe(Throwable e) {
        if (e instanceof java.nio.file.FileSystemException f && f.getFile() != null) {
            return f.getFile() + ": " + Errno.describeText(f.getReason() != null ? f.getReason() : strerror(f));
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    /** What strerror says for the JDK's file exceptions that carry no reason: each stands for one errno. */
    private static String strerror(java.nio.file.FileSystemException f) {
        if (f instanceof java.nio.file.NoSuchFileException) {
            return "No such file or directory";
        }
        if (f instanceof java.nio.file.AccessDeniedException) {
            return "Permission denied";
        }
        if (f instanceof java.nio.file.FileAlreadyExistsException) {
            return "File exists";
        }
        if (f instanceof java.nio.file.NotDirectoryException) {
            return "Not a directory";
        }
        if (f instanceof java.nio.file.DirectoryNotEmptyException) {
            return "Directory not empty";
        }
        return f.getClass().getSimpleName();
    }

    private static String oneLine(String message) {
        return message.strip().replaceAll("\\s*\\R\\s*", "; ");
    }
}
