package dev.meridian.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class SshForwardingOffTest {

    /** The shape of sshd's {@code AbstractFactoryManager}: a forwarding filter with a setter. */
    public static final class Server {
        private Object forwardingFilter = "accept-all";
        private int calls;

        public void setForwardingFilter(Object filter) {
            forwardingFilter = filter;
            calls++;
        }
    }

    @Test
    void should_remove_the_forwarding_filter_which_sshd_reads_as_refuse_everything() {
        Server server = new Server();
        SshForwardingOff.turnOff(server);
        assertNull(server.forwardingFilter);
        assertEquals(1, server.calls);
    }

    @Test
    void should_leave_an_object_without_the_setter_alone() {
        SshForwardingOff.turnOff(new Object()); // logs an error, throws nothing
    }
}
