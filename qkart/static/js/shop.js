/* QKart shop pages: small touches that htmx does not cover. Everything here has a
   server-rendered fallback; without JavaScript the pages work the same, only plainer. */
(function () {
  "use strict";
  var WIDE = "(min-width: 900px)";

  /* The "Filter & sort" drawer is closed on phones; wide screens show it beside the
     results (CSS does this where ::details-content is supported; this covers the rest). */
  function openDrawerWhenWide() {
    var drawer = document.getElementById("filter-drawer");
    if (drawer && window.matchMedia && window.matchMedia(WIDE).matches) { drawer.open = true; }
  }

  document.addEventListener("DOMContentLoaded", openDrawerWhenWide);
})();
