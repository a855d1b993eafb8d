package org.example.rogue;

import java.io.Serializable;

/** A class outside Meridian's: what a foreign process might send to run code on deserialization. */
public final class Gadget implements Serializable {
    private static final long serialVersionUID = 1L;
    public final String command;

    public Gadget(String command) {
        this.command = command;
    }
}
