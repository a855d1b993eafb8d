package dev.meridian.console.internal;

import java.io.IOException;
import java.io.PrintWriter;

import javax.servlet.Servlet;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.osgi.service.component.annotations.Component;

/**
 * The "Meridian" tab of Karaf's web console ({@code /system/console/meridian}): a Felix WebConsole
 * plugin by service properties alone (the console wraps a plain servlet with a label and a title
 * in its page frame), so this bundle needs nothing of the web console's API and the tab comes and
 * goes with the {@code meridian-console} feature. It only points at {@code /console/}.
 */
@Component(service = Servlet.class, property = {
    "felix.webconsole.label=" + WebConsoleTab.LABEL,
    "felix.webconsole.title=Meridian",
    "felix.webconsole.category=Meridian"})
public final class WebConsoleTab extends HttpServlet {

    private static final long serialVersionUID = 1L;
    static final String LABEL = "meridian";

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setContentType("text/html; charset=utf-8");
        PrintWriter out = resp.getWriter();
        out.println(fragment(req.getContextPath()));
    }

    /** The tab's body, inside the web console's own page (its header, navigation and footer). */
    static String fragment(String contextPath) {
        String console = contextPath + "/console/";
        return """
            <div class="ui-widget-header ui-corner-top">Meridian console</div>
            <div class="ui-widget-content ui-corner-bottom" id="meridian-console-tab">
              <p>Meridian's own console shows what this gateway serves: APIs and consumers with
              validated edits and a diff before each apply, the revision history with diff and rollback,
              the revision every node serves, the running canary, cache analytics and live traffic with
              deploy markers.</p>
              <p><a href="%s" target="_blank" rel="noopener noreferrer">Open the Meridian console</a>
              (<code>%s</code> on this port; sign in as <code>admin</code> or with a token).</p>
            </div>
            """.formatted(console, console);
    }
}
