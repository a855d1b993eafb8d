package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.content.AsyncContent;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;

class BodyBufferTest {

    /** What a BodyBuffer handed over: the body or the failure, at most once. */
    private static final class Outcome {
        final CompletableFuture<ByteBuffer> body = new CompletableFuture<>();
        int calls;

        void accept(ByteBuffer b, Throwable failure) {
            calls++;
            if (failure != null) {
                body.completeExceptionally(failure);
            } else {
                body.complete(b);
            }
        }

        String text() {
            ByteBuffer b = body.join();
            return StandardCharsets.US_ASCII.decode(b.duplicate()).toString();
        }

        Throwable failure() {
            return body.handle((b, x) -> x).join();
        }
    }

    /** A reader of {@code length} bytes from {@code source}, started; its outcome. */
    private static Outcome started(AsyncContent source, int length) {
        Outcome out = new Outcome();
        new BodyBuffer(source, length, out::accept).start();
        return out;
    }

    private static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void should_read_a_body_that_came_with_its_head_at_once_into_an_array_of_its_length() {
        AsyncContent source = new AsyncContent();
        source.write(true, ascii("hello world"), Callback.NOOP);
        Outcome out = new Outcome();
        BodyBuffer reader = new BodyBuffer(source, 11, out::accept);
        reader.start();
        assertTrue(out.body.isDone(), "read in start()");
        assertEquals("hello world", out.text());
        assertEquals(11, out.body.join().remaining());
        assertEquals(11, reader.capacity());
        assertEquals(1, out.calls);
    }

    @Test
    void should_wait_for_a_trickled_body_on_demand_and_hand_it_over_whole() {
        AsyncContent source = new AsyncContent();
        Outcome out = started(source, 10);
        assertFalse(out.body.isDone(), "nothing arrived yet");
        source.write(false, ascii("012"), Callback.NOOP);
        assertFalse(out.body.isDone(), "3 of 10 bytes");
        source.write(false, ascii("3456"), Callback.NOOP);
        source.write(false, ascii("789"), Callback.NOOP);
        assertEquals("0123456789", out.text());
        assertEquals(1, out.calls);
    }

    @Test
    void should_grow_with_what_arrived_not_with_the_declared_length() {
        AsyncContent source = new AsyncContent();
        Outcome out = new Outcome();
        BodyBuffer reader = new BodyBuffer(source, 65_536, out::accept);
        reader.start();
        source.write(false, ascii("x"), Callback.NOOP);
        assertEquals(BodyBuffer.MIN_CAPACITY, reader.capacity(), "one byte of a declared 64 KiB");
        source.write(false, ByteBuffer.allocate(5_000), Callback.NOOP);
        assertEquals(2 * BodyBuffer.MIN_CAPACITY, reader.capacity());
        source.write(false, ByteBuffer.allocate(65_536 - 5_001), Callback.NOOP);
        assertEquals(65_536, out.body.join().remaining());
        assertEquals(65_536, reader.capacity());
        assertEquals('x', out.body.join().get(0));
    }

    @Test
    void should_fail_when_the_clients_body_fails() {
        AsyncContent source = new AsyncContent();
        Outcome out = started(source, 10);
        source.write(false, ascii("01"), Callback.NOOP);
        IOException cut = new IOException("connection closed by the sweeper");
        source.fail(cut);
        assertSame(cut, out.failure());
        assertEquals(1, out.calls);
    }

    @Test
    void should_fail_when_the_body_ends_before_its_length() {
        AsyncContent source = new AsyncContent();
        Outcome out = started(source, 10);
        source.write(true, ascii("01234"), Callback.NOOP);
        assertInstanceOf(EOFException.class, out.failure());
        assertEquals(1, out.calls);
    }

    @Test
    void should_refuse_a_body_longer_than_its_length_and_fail_the_source() {
        AsyncContent source = new AsyncContent();
        Outcome out = started(source, 3);
        source.write(false, ascii("01234"), Callback.NOOP);
        assertInstanceOf(IllegalStateException.class, out.failure());
        assertTrue(Content.Chunk.isFailure(source.read()), "the source was failed");
    }

    @Test
    void should_refuse_a_length_that_is_not_positive() {
        assertThrows(IllegalArgumentException.class, () -> new BodyBuffer(new AsyncContent(), 0, (b, x) -> { }));
    }
}
