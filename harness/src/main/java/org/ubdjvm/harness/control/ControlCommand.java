package org.ubdjvm.harness.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** One command of the control socket: its arguments in, its {@code return} value out. */
@FunctionalInterface
public interface ControlCommand {
    JsonNode execute(ObjectNode arguments) throws ControlError;
}
