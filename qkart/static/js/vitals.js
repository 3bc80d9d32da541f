/* QKart web vitals: this page view's LCP, INP and CLS (web-vitals, vendored), sent once
   to QKart itself with navigator.sendBeacon when the page is hidden (leaving a page hides
   it too; web-vitals reports CLS and INP on that same event, so one beacon carries all). The server
   chose the page type and device class (the data attributes of this script tag); nothing
   is measured or sent for a visitor who asks not to be tracked. Each metric of a page view
   is sent once, as it stood when the page was first hidden, so a tab shown and hidden
   again is not counted twice; a page restored from the back/forward cache is a new view
   (web-vitals gives its metrics new ids). */
(function () {
  "use strict";
  var tag = document.currentScript;
  var wv = window.webVitals;
  var nav = navigator;
  if (!tag || !wv || !nav.sendBeacon || nav.doNotTrack === "1" || window.doNotTrack === "1" || nav.globalPrivacyControl === true) {
    return;
  }
  var figures = {};
  var ids = [];
  var sent = {};
  function note(metric) {
    if (sent[metric.id]) {
      return;
    }
    ids.push(metric.id);
    figures[metric.name] = metric.name === "CLS" ? metric.value.toFixed(4) : String(Math.round(metric.value));
  }
  function send() {
    if (!ids.length) {
      return;
    }
    var body = new URLSearchParams({ page: tag.dataset.page, device: tag.dataset.device });
    Object.keys(figures).forEach(function (name) { body.set(name, figures[name]); });
    nav.sendBeacon(tag.dataset.url, body);
    ids.forEach(function (id) { sent[id] = true; });
    figures = {};
    ids = [];
  }
  wv.onLCP(note);
  wv.onINP(note);
  wv.onCLS(note);
  addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      send();
    }
  });
}());
