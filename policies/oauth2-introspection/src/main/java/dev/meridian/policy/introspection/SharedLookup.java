package dev.meridian.policy.introspection;

import dev.meridian.policy.api.Scheduler;
import dev.meridian.policy.api.SharedState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;

final class SharedLookup {
   static final Duration POLL = Duration.ofMillis(20L);
   private static final String LEASE = "lease:";
   private final SharedState state;
   private final Scheduler scheduler;
   private final Clock clock;
   private final byte[] nodeName;
   private final Function<String, CompletionStage<TokenInfo>> identityProvider;
   private final SharedLookup.Freshness freshness;
   private final Duration leaseTtl;
   private final ConcurrentMap<String, CompletableFuture<TokenInfo>> inFlight = new ConcurrentHashMap<>();

   SharedLookup(
      SharedState state,
      Scheduler scheduler,
      Clock clock,
      String nodeName,
      SharedLookup.Freshness freshness,
      Duration callTimeout,
      Function<String, CompletionStage<TokenInfo>> identityProvider
   ) {
      this.state = state;
      this.scheduler = scheduler;
      this.clock = clock;
      this.nodeName = nodeName.getBytes(StandardCharsets.UTF_8);
      this.freshness = freshness;
      this.leaseTtl = callTimeout.plusSeconds(1L);
      this.identityProvider = identityProvider;
   }

   Optional<TokenInfo> peek(String key) {
      return this.state.peek(key).flatMap(TokenInfo::decode).filter(i -> this.freshness.fresh(i, this.clock.millis()));
   }

   CompletionStage<TokenInfo> lookup(String key, String token) {
      CompletableFuture<TokenInfo> mine = new CompletableFuture<>();

      CompletableFuture<TokenInfo> running;
      while ((running = this.inFlight.putIfAbsent(key, mine)) != null && running.isDone()) {
         this.inFlight.remove(key, running);
      }

      if (running != null) {
         return running;
      }

      mine.whenComplete((i, e) -> this.inFlight.remove(key, mine));
      long deadline = this.clock.millis() + 2L * this.leaseTtl.toMillis() + POLL.toMillis();
      this.stored(key)
         .thenCompose(found -> found.isPresent() ? CompletableFuture.completedFuture(found.get()) : this.elect(key, token, deadline))
         .whenComplete((info, e) -> {
            if (e != null) {
               mine.completeExceptionally(e);
            } else {
               mine.complete(info);
            }
         });
      return mine;
   }

   private CompletionStage<Optional<TokenInfo>> stored(String key) {
      return this.state.get(key).thenApply(v -> v.flatMap(TokenInfo::decode).filter(i -> this.freshness.fresh(i, this.clock.millis())));
   }

   private CompletionStage<TokenInfo> elect(String key, String token, long deadline) {
      return this.state.putIfAbsent("lease:" + key, this.nodeName, this.leaseTtl).thenCompose(won -> {
         if (!won) {
            CompletableFuture<TokenInfo> waited = new CompletableFuture<>();
            this.scheduler.schedule(() -> this.poll(key, token, deadline, waited), POLL);
            return waited;
         } else {
            return this.stored(key).thenCompose(found -> found.isPresent() ? CompletableFuture.completedFuture(found.get()) : this.ask(key, token));
         }
      });
   }

   private CompletionStage<TokenInfo> ask(String key, String token) {
      return this.identityProvider
         .apply(token)
         .<CompletionStage<TokenInfo>>handle(
            (info, e) -> {
               if (e != null) {
                  this.state.remove("lease:" + key);
                  return CompletableFuture.failedFuture(e);
               } else {
                  Duration ttl = this.freshness.ttl(info, this.clock.millis());
                  return ttl.isZero()
                     ? CompletableFuture.completedFuture(info)
                     : this.state.put(key, info.encode(), ttl).thenCompose(v -> this.state.get(key)).thenApply(v -> info);
               }
            }
         )
         .thenCompose(Function.identity());
   }

   private void poll(String key, String token, long deadline, CompletableFuture<TokenInfo> waited) {
      this.stored(key)
         .thenCompose(
            found -> {
               if (found.isPresent()) {
                  return CompletableFuture.<Optional<TokenInfo>>completedFuture(found);
               } else {
                  return this.clock.millis() >= deadline
                     ? CompletableFuture.failedFuture(new IOException("no introspection answer within " + this.leaseTtl.toMillis() + " ms"))
                     : this.state
                        .get("lease:" + key)
                        .thenCompose(
                           lease -> lease.isPresent()
                              ? CompletableFuture.completedFuture(Optional.empty())
                              : this.elect(key, token, deadline).thenApply(Optional::of)
                        );
               }
            }
         )
         .whenComplete((found, e) -> {
            if (e != null) {
               waited.completeExceptionally(e);
            } else if (found.isPresent()) {
               waited.complete(found.get());
            } else {
               this.scheduler.schedule(() -> this.poll(key, token, deadline, waited), POLL);
            }
         });
   }

   record Freshness(Duration cacheTtl, Duration inactiveTtl) {
      Duration ttl(TokenInfo info, long nowMillis) {
         if (!info.active()) {
            return this.inactiveTtl;
         }

         long millis = this.cacheTtl.toMillis();
         if (info.exp() > 0L) {
            millis = Math.min(millis, info.exp() * 1000L - nowMillis);
         }

         return millis > 0L ? Duration.ofMillis(millis) : Duration.ZERO;
      }

      boolean fresh(TokenInfo info, long nowMillis) {
         long keep = (info.active() ? this.cacheTtl : this.inactiveTtl).toMillis();
         return nowMillis - info.fetchedAt() < keep && !info.expired(nowMillis);
      }
   }
}
