/* QKart web vitals, measured here rather than with the web-vitals library (3.4 KB gzip) so
   that a shopper page's scripts, htmx included, stay within 20 KB gzip. Web-vitals' rules:
   LCP is the last largest-contentful-paint before the first keydown or pointerdown or the
   page being hidden, if it was not hidden before (opened in the background); CLS the largest
   session window of layout shifts without recent input (gaps under 1 s, at most 5 s), once
   the page has painted; INP the longest interaction (by interactionId, events of 40 ms or
   more and the first input), skipping one of the worst per 50 interactions.
   One beacon to QKart when the page is hidden (leaving it hides it too), with the page type
   and device the server wrote into this tag. Each figure of a view is sent once, as it stood
   when first hidden (an INP not had yet goes at a later hiding). A page restored from the
   back/forward cache is a new view: CLS and INP afresh, LCP from pageshow to the second
   animation frame, as web-vitals does. Nothing is measured or sent for a visitor who asks
   not to be tracked; a browser without an entry type sends no figure for it. */
(function () {
  "use strict";
  var tag = document.currentScript;
  var PO = window.PerformanceObserver;
  var types = (PO && PO.supportedEntryTypes) || [];
  if (!tag || !navigator.sendBeacon || navigator.doNotTrack === "1" || window.doNotTrack === "1" || navigator.globalPrivacyControl === true) {
    return;
  }
  // Loaded in the background: hidden from the start. A prerendered page is hidden until
  // shown, and its times count from then (activationStart).
  var hiddenAt = document.visibilityState === "hidden" && !document.prerendering ? 0 : Infinity;
  var flushes = [];
  function flush() {
    flushes.forEach(function (f) { f(); });
  }
  var sent, lcp, lcpOpen, cls, win, first, last, longest, count0, restored;

  function reset(persisted) {
    sent = {};
    lcp = undefined;
    lcpOpen = true;
    cls = win = 0;
    longest = {};
    count0 = persisted ? performance.interactionCount : 0;
    restored = persisted;
  }

  function observe(type, handle, threshold) {
    if (types.indexOf(type) >= 0) {
      var po = new PO(function (list) { handle(list.getEntries()); });
      po.observe({ type: type, buffered: true, durationThreshold: threshold });
      flushes.push(function () { handle(po.takeRecords()); });
      return po;
    }
  }

  function onLcp(entries) {
    var e = entries[entries.length - 1];
    if (lcpOpen && e && e.startTime < hiddenAt) {
      lcp = Math.max(e.startTime - (performance.getEntriesByType("navigation")[0].activationStart || 0), 0);
    }
  }

  reset(false);
  var lcpPo = observe("largest-contentful-paint", onLcp);
  var clsPo = observe("layout-shift", function (entries) {
    entries.forEach(function (e) {
      if (!e.hadRecentInput) {
        if (win && e.startTime - last < 1000 && e.startTime - first < 5000) {
          win += e.value;
        } else {
          win = e.value;
          first = e.startTime;
        }
        last = e.startTime;
        cls = Math.max(cls, win);
      }
    });
  });
  function onEvents(entries) {
    entries.forEach(function (e) {
      var id = e.interactionId;
      if (id && !(longest[id] >= e.duration)) {
        longest[id] = e.duration;
      }
    });
  }
  observe("event", onEvents, 40); // a browser without interactionIds gives no INP
  observe("first-input", onEvents);

  function input(event) {
    if (event.isTrusted && lcpOpen) {
      flush();
      lcpOpen = false;
    }
  }
  addEventListener("keydown", input, true);
  addEventListener("pointerdown", input, true);

  addEventListener("pageshow", function (event) {
    if (event.persisted) {
      reset(true);
      if (lcpPo) {
        requestAnimationFrame(function () {
          requestAnimationFrame(function () {
            if (lcpOpen) {
              lcp = performance.now() - event.timeStamp;
            }
          });
        });
      }
    }
  }, true);

  addEventListener("visibilitychange", function (event) {
    if (document.visibilityState !== "hidden") {
      return;
    }
    hiddenAt = Math.min(hiddenAt, event.timeStamp);
    flush();
    lcpOpen = false;
    var fcp = performance.getEntriesByName("first-contentful-paint")[0];
    var worst = [];
    for (var id in longest) {
      worst.push(longest[id]);
    }
    worst.sort(function (a, b) { return b - a; });
    // Interactions so far: the browser's count, else those seen (all but the quickest).
    var count = performance.interactionCount - count0 || worst.length;
    var body = new URLSearchParams({ page: tag.dataset.page, device: tag.dataset.device });
    var any = false;
    function add(name, value) {
      if (value !== undefined && !sent[name]) {
        body.set(name, value);
        sent[name] = any = true;
      }
    }
    add("LCP", lcp && Math.round(lcp));
    if (clsPo && (restored || (fcp && fcp.startTime < hiddenAt))) {
      add("CLS", cls.toFixed(4));
    }
    add("INP", worst[Math.min(worst.length - 1, Math.floor(count / 50))]); // durations: whole ms
    if (any) {
      navigator.sendBeacon(tag.dataset.url, body);
    }
  }, true);
}());
