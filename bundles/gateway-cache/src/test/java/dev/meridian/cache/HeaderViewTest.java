package dev.meridian.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class HeaderViewTest {

    @Test
    void should_find_all_values_case_insensitively_in_order() {
        HeaderView view = Headers.view("Accept", "a/b", "X-Other", "1", "ACCEPT", "c/d, e/f");
        assertEquals(List.of("a/b", "c/d, e/f"), view.values("accept"));
        assertEquals("a/b", view.first("aCcEpT"));
    }

    @Test
    void should_answer_empty_list_and_null_when_absent() {
        HeaderView view = Headers.view("Accept", "a/b");
        assertEquals(List.of(), view.values("Vary"));
        assertNull(view.first("Vary"));
    }

    @Test
    void should_copy_the_fields_it_is_given() {
        List<Map.Entry<String, String>> fields = new ArrayList<>(Headers.list("A", "1"));
        HeaderView view = HeaderView.of(fields);
        fields.add(Map.entry("A", "2"));
        assertEquals(List.of("1"), view.values("a"));
    }

    @Test
    void should_reject_null_names_and_values() {
        List<Map.Entry<String, String>> fields = new ArrayList<>();
        fields.add(new java.util.AbstractMap.SimpleEntry<>("A", null));
        assertThrows(NullPointerException.class, () -> HeaderView.of(fields));
    }

    @Test
    void should_default_first_to_the_first_value_of_a_lambda_view() {
        HeaderView view = name -> name.equalsIgnoreCase("x") ? List.of("1", "2") : List.of();
        assertEquals("1", view.first("X"));
        assertNull(view.first("y"));
    }
}
