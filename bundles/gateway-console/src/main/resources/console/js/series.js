// Time series from the metrics endpoints (issue 14's series contract): the window's history
// from GET /metrics/series, then live seconds and markers from GET /metrics/stream, read with
// fetch (EventSource cannot send the Authorization header). Without the stream the window is
// polled; without the series endpoint the charts say "no data yet".
import { useState, useEffect, useRef } from './lib.js';
import { get, stream } from './api.js';

export function seriesKey(item) {
  return item.shape ? item.api + ' · ' + item.shape : item.api;
}

function markerKey(m) {
  return m.t + '|' + m.kind + '|' + m.revision;
}

function addPoint(s, item, point) {
  const key = seriesKey(item);
  let entry = s.series.get(key);
  if (!entry) {
    entry = { key, api: item.api, shape: item.shape || '', points: new Map() };
    s.series.set(key, entry);
  }
  if (point && typeof point.t === 'number') {
    entry.points.set(Math.floor(point.t), point);
  }
}

function ingest(s, answer) {
  if (!answer) {
    return;
  }
  (answer.series || []).forEach((item) => (item.points || []).forEach((p) => addPoint(s, item, p)));
  (answer.markers || []).forEach((m) => addMarker(s, m));
  if (Array.isArray(answer.nodes)) {
    s.nodes = answer.nodes;
  }
  s.failed = answer.failed || {};
  if (typeof answer.to === 'number') {
    s.lastT = Math.max(s.lastT, answer.to);
  }
}

function addMarker(s, m) {
  if (!m || typeof m.t !== 'number') {
    return;
  }
  const k = markerKey(m);
  if (!s.markerKeys.has(k)) {
    s.markerKeys.add(k);
    s.markers.push(m);
    s.markers.sort((a, b) => a.t - b.t);
  }
}

function prune(s, from) {
  s.series.forEach((e) => e.points.forEach((p, t) => { if (t < from) { e.points.delete(t); } }));
  s.markers = s.markers.filter((m) => m.t >= from);
}

const sleep = (ms, signal) => new Promise((resolve) => {
  const id = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(id); resolve(); }, { once: true });
});

/**
 * {status, series: [{key, api, shape, points: Map(t -> point)}], markers, from, to, live, error}
 * for the last windowSec seconds at res ('1s' or '1m'), optionally for one API.
 */
export function useSeries({ api = '', windowSec = 300, res = '1s' } = {}) {
  const store = useRef(null);
  const [, setVersion] = useState(0);
  useEffect(() => {
    const ctrl = new AbortController();
    const signal = ctrl.signal;
    const s = {
      status: 'loading', series: new Map(), markers: [], markerKeys: new Set(), lastT: 0, live: false,
      error: null, nodes: [], failed: {}, noStream: false,
    };
    store.current = s;
    let pending = false;
    const bump = () => {
      if (!pending) {
        pending = true;
        setTimeout(() => { pending = false; if (!signal.aborted) { setVersion((v) => v + 1); } }, 250);
      }
    };
    const apiParam = api ? '&api=' + encodeURIComponent(api) : '';
    const step = res === '1m' ? 60 : 1;
    const fetchRange = async (from, to) => {
      ingest(s, await get('/metrics/series?res=' + res + '&from=' + from + '&to=' + to + apiParam, { signal }));
      prune(s, Math.floor(Date.now() / 1000) - windowSec);
    };
    const onEvent = (name, data) => {
      if (name === 'second' && data && typeof data === 'object') {
        (data.series || []).forEach((item) => {
          if (api && item.api !== api) {
            return;
          }
          if (Array.isArray(item.points)) {
            item.points.forEach((p) => addPoint(s, item, p));
          } else {
            addPoint(s, item, { ...item, t: typeof item.t === 'number' ? item.t : data.t });
          }
        });
        if (typeof data.t === 'number') {
          s.lastT = Math.max(s.lastT, data.t);
        }
        s.live = true;
        s.status = 'ready';
        prune(s, Math.floor(Date.now() / 1000) - windowSec);
        bump();
      } else if (name === 'marker') {
        addMarker(s, data);
        bump();
      }
    };
    (async () => {
      const now = Math.floor(Date.now() / 1000);
      try {
        await fetchRange(now - windowSec, now);
        s.status = 'ready';
      } catch (e) {
        if (signal.aborted) {
          return;
        }
        s.status = e.status === 404 ? 'unavailable' : 'error';
        s.error = e;
      }
      bump();
      let failures = 0;
      while (!signal.aborted) {
        if (res === '1s' && s.status !== 'unavailable' && !s.noStream) {
          try {
            await stream('/metrics/stream' + (api ? '?api=' + encodeURIComponent(api) : ''), onEvent, signal);
          } catch (e) {
            if (signal.aborted) {
              return;
            }
            s.live = false;
            failures++;
            s.noStream = e.status === 404 || e.status === 405; // no stream on this node: poll only
            bump();
          }
        }
        // no stream (or it broke): poll what is new, then try the stream again
        await sleep(res === '1m' ? 60000 : Math.min(2000 * Math.max(1, failures), 10000), signal);
        if (signal.aborted) {
          return;
        }
        try {
          const t = Math.floor(Date.now() / 1000);
          await fetchRange(Math.max(t - windowSec, (s.lastT || t) - 5 * step), t);
          s.status = 'ready';
          s.error = null;
        } catch (e) {
          if (signal.aborted) {
            return;
          }
          if (e.status === 404) {
            s.status = 'unavailable';
          }
          s.error = e;
        }
        bump();
      }
    })();
    return () => ctrl.abort();
  }, [api, windowSec, res]);
  const s = store.current || { status: 'loading', series: new Map(), markers: [], live: false };
  const to = Math.floor(Date.now() / 1000);
  return {
    status: s.status, error: s.error, live: s.live, nodes: s.nodes || [], failed: s.failed || {},
    series: [...s.series.values()].sort((a, b) => a.key.localeCompare(b.key)),
    markers: s.markers, from: to - windowSec, to, step: res === '1m' ? 60 : 1,
  };
}

/** uPlot data: [xs, ...one array per series] over the window, value(point) or missing. */
export function align(view, value, missing = null) {
  const xs = [];
  const start = Math.floor(view.from / view.step) * view.step;
  for (let t = start; t <= view.to; t += view.step) {
    xs.push(t);
  }
  const ys = view.series.map((e) => xs.map((t) => {
    const p = e.points.get(t);
    if (!p) {
      return missing;
    }
    const v = value(p);
    return v === undefined || v === null || Number.isNaN(v) ? missing : v;
  }));
  return [xs, ...ys];
}

/** Sums over the points of every series within the last `seconds`. */
export function recent(view, seconds) {
  const since = view.to - seconds;
  const out = { requests: 0, errors4xx: 0, errors5xx: 0, hit: 0, miss: 0, stale: 0, bypass: 0, p99Max: null, points: 0 };
  view.series.forEach((e) => e.points.forEach((p, t) => {
    if (t > since) {
      out.points++;
      out.requests += p.requests || 0;
      out.errors4xx += p.errors4xx || 0;
      out.errors5xx += p.errors5xx || 0;
      if (p.cache) {
        out.hit += p.cache.hit || 0;
        out.miss += p.cache.miss || 0;
        out.stale += p.cache.stale || 0;
        out.bypass += p.cache.bypass || 0;
      }
      if (typeof p.p99Ms === 'number') {
        out.p99Max = Math.max(out.p99Max || 0, p.p99Ms);
      }
    }
  }));
  return out;
}

export function hitRatio(c) {
  if (!c) {
    return null;
  }
  const hit = (c.hit || 0) + (c.stale || 0);
  const lookups = hit + (c.miss || 0);
  return lookups ? hit / lookups : null;
}
