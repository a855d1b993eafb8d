package dev.meridian.core.flow;

/**
 * The upstream's body on its way to the client, opaque to the steps: the data plane streams it.
 * A step may watch the bytes pass ({@link #tap}) or drop it when the request is answered
 * otherwise ({@link #discard}).
 */
public interface Body {

    /** The declared length ({@code Content-Length}), or -1. */
    long length();

    /** Lets {@code tap} see every chunk as it passes to the client (at most one tap). */
    void tap(BodyTap tap);

    /** The body will not be sent: the data plane releases it (and its connection). */
    void discard(Throwable why);
}
