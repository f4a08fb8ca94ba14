package org.ubdjvm.hostio.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.ubdjvm.hostio.IoCompletion;
import org.ubdjvm.hostio.IoEngine;

class ForwardingIoEngineTest {
    /** IoEngine's instance methods, by signature. */
    private static List<Method> engineMethods() {
        return Arrays.stream(IoEngine.class.getMethods()).filter(m -> !Modifier.isStatic(m.getModifiers())).toList();
    }

    /** A method added to IoEngine later with a default would silently skip every wrapper: this catches it. */
    @Test
    void declaresEveryMethodOfIoEngine() {
        List<String> missing = new ArrayList<>();
        for (Method m : engineMethods()) {
            try {
                ForwardingIoEngine.class.getDeclaredMethod(m.getName(), m.getParameterTypes());
            } catch (NoSuchMethodException e) {
                missing.add(m.toGenericString());
            }
        }
        assertEquals(List.of(), missing, "ForwardingIoEngine must forward every IoEngine method");
    }

    /** Each call, with its own arguments, reaches the engine underneath, and its result comes back. */
    @Test
    void forwardsEveryCallWithItsArguments() throws Exception {
        List<String> seen = new ArrayList<>();
        IoEngine recorder = (IoEngine) Proxy.newProxyInstance(IoEngine.class.getClassLoader(),
                new Class<?>[] {IoEngine.class}, (proxy, method, args) -> {
                    seen.add(method.getName() + Arrays.toString(args == null ? new Object[0] : args));
                    return method.getReturnType() == String.class ? "from " + method.getName() : defaultOf(method);
                });
        IoEngine forwarding = new ForwardingIoEngine(recorder);
        for (Method m : engineMethods()) {
            Object[] args = new Object[m.getParameterCount()];
            for (int i = 0; i < args.length; i++) {
                args[i] = sample(m.getParameterTypes()[i], i);
            }
            seen.clear();
            Object result = m.invoke(forwarding, args);
            assertEquals(List.of(m.getName() + Arrays.toString(args)), seen, m.getName() + " not forwarded as called");
            if (m.getReturnType() == String.class) {
                assertEquals("from " + m.getName(), result, m.getName() + "'s result not passed back");
            } else if (m.getReturnType() == int.class) {
                assertEquals(7, result, m.getName() + "'s result not passed back");
            }
        }
    }

    private static Object defaultOf(Method m) {
        Class<?> t = m.getReturnType();
        return t == long.class ? 0L : t == int.class ? 7 : t == boolean.class ? false : null;
    }

    /** A distinct, recognisable value per parameter (null for a HostFile: opening one needs a file). */
    private static Object sample(Class<?> type, int index) {
        if (type == ByteBuffer.class) {
            return ByteBuffer.allocate(index + 1);
        }
        if (type == Duration.class) {
            return Duration.ofMillis(index + 1);
        }
        if (type == IoCompletion.class) {
            return (IoCompletion) (n, e) -> { };
        }
        if (type == long.class) {
            return 1000L + index;
        }
        if (type == int.class) {
            return 100 + index;
        }
        if (type == boolean.class) {
            return true;
        }
        return null;
    }
}
