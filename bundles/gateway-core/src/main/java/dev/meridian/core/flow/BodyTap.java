package dev.meridian.core.flow;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;

/** Watches an upstream body pass to the client ({@link Body#tap}). Called by one thread at a time. */
public interface BodyTap {

    /**
     * One chunk on its way to the client ({@code data} is read-only and must not be kept). The
     * answer is null to pass the chunk on at once, or a stage that completes when it may go: the
     * client's last bytes can wait until the tap has done something with the whole body.
     *
     * @param last whether this is the body's last chunk
     */
    CompletionStage<Void> chunk(ByteBuffer data, boolean last);

    /** The body failed or was cut; no more chunks come. */
    void failed(Throwable why);
}
