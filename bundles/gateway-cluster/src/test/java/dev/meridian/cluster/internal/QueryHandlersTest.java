package dev.meridian.cluster.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.meridian.cluster.NodeQueryHandler;

class QueryHandlersTest {

    @Test
    void should_answer_with_the_oldest_handler_of_a_topic_and_remove_exactly_the_one_that_leaves() throws Exception {
        QueryHandlers handlers = new QueryHandlers();
        NodeQueryHandler first = q -> q;
        NodeQueryHandler second = q -> new byte[0];
        AutoCloseable a = handlers.add("series", first);
        AutoCloseable b = handlers.add("series", second);
        handlers.add("other", second);

        assertSame(first, handlers.find("series").orElseThrow());
        a.close();
        assertSame(second, handlers.find("series").orElseThrow(), "the replacement keeps answering");
        a.close(); // twice: nothing more leaves
        assertSame(second, handlers.find("series").orElseThrow());
        b.close();
        assertEquals(Optional.empty(), handlers.find("series"));
        assertSame(second, handlers.find("other").orElseThrow());
    }
}
