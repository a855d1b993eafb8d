package dev.meridian.policy.jwt;

import dev.meridian.policy.api.Scheduler;
import dev.meridian.policy.api.SharedState;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

final class KeySource {
   private static final Logger LOG = LoggerFactory.getLogger(KeySource.class);
   static final Duration LEASE = Duration.ofSeconds(1L);
   static final Duration FAILURE_BACKOFF = Duration.ofSeconds(5L);
   static final Duration MAX_WAIT = Duration.ofMillis(2500L);
   static final Duration LOST_LEASE_PAUSE = Duration.ofMillis(200L);
   static final Duration TICK = Duration.ofSeconds(1L);
   private final KeySourceId id;
   private final SharedState state;
   private final JwksFetcher fetcher;
   private final Scheduler scheduler;
   private final Clock clock;
   private final String nodeName;
   private final byte[] nodeBytes;
   private volatile Duration refreshInterval;
   private final AtomicReference<KeySnapshot> current = new AtomicReference<>();
   private final AtomicReference<CompletableFuture<Void>> sync = new AtomicReference<>();
   private final AtomicReference<CompletableFuture<Void>> round = new AtomicReference<>();
   private volatile long lastFailure = Long.MIN_VALUE;

   KeySource(KeySourceId id, SharedState state, JwksFetcher fetcher, Scheduler scheduler, Clock clock, String nodeName, Duration refreshInterval) {
      this.id = id;
      this.state = state;
      this.fetcher = fetcher;
      this.scheduler = scheduler;
      this.clock = clock;
      this.nodeName = nodeName;
      this.nodeBytes = nodeName.getBytes(StandardCharsets.UTF_8);
      this.refreshInterval = refreshInterval;
   }

   KeySource start() {
      this.scheduler.every(TICK, this::tick);
      this.sync();
      return this;
   }

   void refreshEvery(Duration interval) {
      this.refreshInterval = interval;
   }

   KeySourceId id() {
      return this.id;
   }

   KeySnapshot current() {
      KeySnapshot snapshot = this.current.get();
      if (snapshot == null) {
         this.state.peek(this.id.documentKey()).ifPresent(this::adopt);
         snapshot = this.current.get();
      }

      return snapshot;
   }

   CompletionStage<KeySnapshot> awaitKey(String kid, long since) {
      return this.awaitKey(kid, since, since + MAX_WAIT.toMillis());
   }

   private CompletionStage<KeySnapshot> awaitKey(String kid, long since, long deadline) {
      return this.settled(kid, since, deadline)
         ? CompletableFuture.completedFuture(this.current.get())
         : this.sync()
            .thenCompose(
               synced -> this.settled(kid, since, deadline)
                  ? CompletableFuture.completedFuture(this.current.get())
                  : this.fetchRound().thenCompose(fetched -> this.awaitKey(kid, since, deadline))
            );
   }

   private boolean settled(String kid, long since, long deadline) {
      KeySnapshot snapshot = this.current.get();
      if (snapshot != null && snapshot.knows(kid)) {
         return true;
      }

      long askedAt = Math.max(this.lastFailure, snapshot == null ? Long.MIN_VALUE : snapshot.fetchedAt());
      return askedAt >= since || this.clock.millis() >= deadline;
   }

   CompletableFuture<Void> sync() {
      return coalesce(this.sync, () -> this.state.get(this.id.documentKey()).thenAccept(found -> found.ifPresent(this::adopt)));
   }

   CompletableFuture<Void> fetchRound() {
      return coalesce(
         this.round,
         () -> this.state
            .putIfAbsent(this.id.leaseKey(), this.nodeBytes, LEASE)
            .thenCompose(won -> !won ? this.pause(LOST_LEASE_PAUSE) : this.fetchAndPublish())
      );
   }

   private CompletionStage<Void> fetchAndPublish() {
      long askedAt = this.clock.millis();
      return this.fetcher
         .fetch(this.id)
         .thenCompose(jwks -> {
            try {
               KeySnapshot next = KeySnapshot.fromFetch(jwks, askedAt, this.current.get(), JwtConfig.MAX_KEY_GRACE.toMillis());
               this.adopt(next);
               return this.state.put(this.id.documentKey(), next.raw(), Duration.ZERO);
            } catch (ParseException e) {
               throw new CompletionException(e);
            }
         })
         .handle(
            (ok, failure) -> {
               if (failure != null) {
                  this.lastFailure = askedAt;
                  LOG.warn(
                     "jwt: fetching the keys of {} failed on {}; the last good keys stay in use: {}",
                     new Object[]{this.id, this.nodeName, rootMessage(failure)}
                  );
                  this.state.put(this.id.leaseKey(), this.nodeBytes, FAILURE_BACKOFF);
               }

               return null;
            }
         );
   }

   private CompletableFuture<Void> pause(Duration delay) {
      CompletableFuture<Void> pause = new CompletableFuture<>();

      try {
         this.scheduler.schedule(() -> pause.complete(null), delay);
      } catch (RuntimeException refused) {
         CompletableFuture.runAsync(() -> pause.complete(null), CompletableFuture.delayedExecutor(delay.toMillis(), TimeUnit.MILLISECONDS));
      }

      return pause;
   }

   void tick() {
      Optional<byte[]> near = this.state.peek(this.id.documentKey());
      CompletableFuture<Void> read = near.isPresent() ? CompletableFuture.completedFuture(null) : this.sync();
      near.ifPresent(this::adopt);
      read.thenRun(() -> {
         KeySnapshot snapshot = this.current.get();
         if (snapshot == null || this.clock.millis() - snapshot.fetchedAt() >= this.refreshInterval.toMillis()) {
            this.fetchRound();
         }
      });
   }

   private void adopt(byte[] raw) {
      KeySnapshot mine = this.current.get();
      if (mine == null || !mine.sameDocument(raw)) {
         try {
            this.adopt(KeySnapshot.decode(raw));
         } catch (ParseException | RuntimeException e) {
            LOG.warn("jwt: the shared keys of {} could not be read; keeping this node's: {}", this.id, e.toString());
         }
      }
   }

   private void adopt(KeySnapshot next) {
      this.current.accumulateAndGet(next, (mine, theirs) -> mine != null && theirs.fetchedAt() <= mine.fetchedAt() ? mine : theirs);
   }

   private static CompletableFuture<Void> coalesce(AtomicReference<CompletableFuture<Void>> slot, Supplier<CompletionStage<Void>> work) {
      CompletableFuture<Void> mine = new CompletableFuture<>();
      while (!slot.compareAndSet(null, mine)) {
         CompletableFuture<Void> running = slot.get();
         if (running != null) {
            return running;
         }
      }

      CompletionStage<Void> started;
      try {
         started = work.get();
      } catch (RuntimeException e) {
         started = CompletableFuture.failedFuture(e);
      }

      started.whenComplete((ok, failure) -> {
         slot.compareAndSet(mine, null);
         if (failure != null) {
            LOG.debug("jwt: a shared-state call failed", failure);
         }

         mine.complete(null);
      });
      return mine;
   }

   private static String rootMessage(Throwable failure) {
      Throwable cause = failure;

      while (cause.getCause() != null) {
         cause = cause.getCause();
      }

      String name = cause.getClass().getSimpleName();
      return cause.getMessage() == null ? name : name + ": " + cause.getMessage();
   }
}
