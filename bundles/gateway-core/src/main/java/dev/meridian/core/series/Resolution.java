package dev.meridian.core.series;

/** The width of a slot: a second (last 15 minutes kept) or a minute (last 24 hours kept). */
public enum Resolution {
    SECOND(1, "1s", 900),
    MINUTE(60, "1m", 1440);

    private final int seconds;
    private final String label;
    private final int slots;

    Resolution(int seconds, String label, int slots) {
        this.seconds = seconds;
        this.label = label;
        this.slots = slots;
    }

    /** A slot's width in seconds; slots start at epoch seconds that are multiples of it. */
    public int seconds() {
        return seconds;
    }

    /** {@code 1s} or {@code 1m}, as in the JSON tree. */
    public String label() {
        return label;
    }

    /** How many slots a series keeps: 900 seconds, 1440 minutes. */
    public int slots() {
        return slots;
    }

    /** The start, in epoch seconds, of the slot holding epoch second {@code epochSecond}. */
    public long slotStart(long epochSecond) {
        return Math.floorDiv(epochSecond, seconds) * seconds;
    }
}
