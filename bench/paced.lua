-- wrk script: each connection waits PACE_MS (env, default 2) between its requests, so the load
-- stays below saturation and the latency measured is the request's own, not the queue's
-- (closed loop with think time: wrk has no fixed-rate mode; wrk2 is not served here).
-- Prints the same SUMMARY line as shared/bench/wrk-summary.lua.
local pace = tonumber(os.getenv("PACE_MS") or "2")
delay = function()
  return pace
end
done = function(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "SUMMARY rps=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f requests=%d "
    .. "non2xx3xx=%d errors=%d connect=%d read=%d write=%d timeout=%d duration_s=%.1f\n",
    summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
    e.connect, e.read, e.write, e.timeout, secs))
end
