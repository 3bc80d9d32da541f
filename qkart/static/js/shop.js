/* QKart shop pages: small touches that htmx does not cover. Everything here has a
   server-rendered fallback; without JavaScript the pages work the same, only plainer. */
(function () {
  "use strict";
  var WIDE = "(min-width: 900px)";
  var NEWS_SECONDS = 6;
  document.documentElement.classList.add("js");  // CSS may drop what scripts make needless

  /* The "Filter & sort" drawer is closed on phones; wide screens show it beside the
     results (CSS does this where ::details-content is supported; this covers the rest). */
  function openDrawerWhenWide() {
    var drawer = document.getElementById("filter-drawer");
    if (drawer && window.matchMedia && window.matchMedia(WIDE).matches) { drawer.open = true; }
  }

  /* Toasts and screen-reader news clear themselves, unless the pointer or focus is on
     the toast (someone is reading it or using its link). */
  var timers = {};
  function clearLater(region) {
    clearTimeout(timers[region.id]);
    timers[region.id] = setTimeout(function () {
      if (region.matches(":hover") || region.contains(document.activeElement)) {
        clearLater(region);
      } else {
        region.textContent = "";
      }
    }, NEWS_SECONDS * 1000);
  }

  function watchNews(event) {
    var target = event.detail && event.detail.target;
    if (target && (target.id === "toast" || target.id === "news")) { clearLater(target); }
  }

  /* Back and Forward may show a page as the browser kept it. The cart and checkout
     reload; every other page asks for the cart count again. */
  function refreshCart() {
    if (document.querySelector('meta[name="qkart-refresh"][content="reload"]')) {
      window.location.reload();
      return;
    }
    if (window.htmx && document.getElementById("cart-count")) {
      window.htmx.ajax("GET", "/cart/badge", { swap: "none" });
    }
  }

  /* Quick view: a card's "Quick view" opens the product's essentials in a dialog; focus
     moves into it, Escape closes it, and focus goes back to the link. Without
     JavaScript (or a dialog element) the link is hidden and the card links to the page. */
  var opener = null;
  function quickView(event) {
    var link = event.target.closest && event.target.closest("a[data-quick-view]");
    var dialog = document.getElementById("quick-view");
    if (!link || !dialog || !window.htmx || !dialog.showModal) { return; }
    event.preventDefault();
    opener = link;
    window.htmx.ajax("GET", link.getAttribute("data-quick-view"), {
      target: "#quick-view-body", swap: "innerHTML"
    }).then(function () {
      if (!dialog.open) { dialog.showModal(); }
      var heading = dialog.querySelector("h2");
      if (heading) { heading.focus(); }
    });
  }

  function setUpQuickView() {
    var dialog = document.getElementById("quick-view");
    if (!dialog || !dialog.showModal) { return; }
    var links = document.querySelectorAll("a[data-quick-view][hidden]");
    for (var i = 0; i < links.length; i++) { links[i].hidden = false; }
    dialog.addEventListener("close", function () {
      if (opener && document.body.contains(opener)) { opener.focus(); }
    });
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) { dialog.close(); }  // a click on the backdrop
    });
  }

  function revealQuickViewLinks(event) {
    var dialog = document.getElementById("quick-view");
    if (!dialog || !dialog.showModal || !event.detail || !event.detail.elt) { return; }
    var links = event.detail.elt.querySelectorAll
      ? event.detail.elt.querySelectorAll("a[data-quick-view][hidden]") : [];
    for (var i = 0; i < links.length; i++) { links[i].hidden = false; }
  }

  /* The server names where focus goes when the control that had it is gone (the Remove
     button of a removed cart line): HX-Trigger-After-Settle {"qkart:focus": "#id"}. */
  function moveFocus(event) {
    var selector = event.detail && event.detail.value;
    var target = selector && document.querySelector(selector);
    if (!target) { return; }
    if (!target.matches("a, button, input, select, textarea, [tabindex]")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
  }

  document.addEventListener("qkart:focus", moveFocus);
  document.addEventListener("DOMContentLoaded", function () {
    openDrawerWhenWide();
    setUpQuickView();
  });
  document.addEventListener("click", quickView);
  document.addEventListener("htmx:afterSwap", watchNews);
  document.addEventListener("htmx:oobAfterSwap", watchNews);
  document.addEventListener("htmx:afterSettle", revealQuickViewLinks);
  document.addEventListener("htmx:historyRestore", refreshCart);
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { refreshCart(); }
  });
})();
