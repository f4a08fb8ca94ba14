package org.ubdjvm.driver;

/** The seed's {@code A} letter: AIO is auto-detected by default, {@code A}/{@code A1} forces it on, {@code A0} off. */
public enum AioMode {
    AUTO, ON, OFF
}
