package dev.meridian.policy.introspection;

import dev.meridian.policy.api.SharedState;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;

final class RevocationView {
   private final SharedState state;
   private final AtomicReference<Revocations> last = new AtomicReference<>(Revocations.NONE);

   RevocationView(SharedState state) {
      this.state = state;
   }

   Optional<Revocations> peek() {
      return this.state.peek("revocations").map(this::snapshot);
   }

   CompletionStage<Revocations> load() {
      return this.state
         .get("revocations")
         .thenCompose(
            v -> v.isPresent()
               ? CompletableFuture.completedFuture(this.snapshot((byte[])v.get()))
               : this.ensureExists()
                  .thenCompose(created -> this.state.get("revocations"))
                  .thenApply(again -> again.map(this::snapshot).orElse(Revocations.NONE))
         );
   }

   CompletionStage<Boolean> ensureExists() {
      return this.state.putIfAbsent("revocations", Revocations.EMPTY, Duration.ZERO);
   }

   private Revocations snapshot(byte[] value) {
      Revocations r = this.last.get();
      if (r.sameAs(value)) {
         return r;
      }

      Revocations parsed = Revocations.parse(value);
      this.last.set(parsed);
      return parsed;
   }
}
