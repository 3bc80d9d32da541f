/* QKart: the product page's picture gallery. Without JavaScript the thumbnails are links
   to each picture (#image-N) in a strip that snaps one picture at a time. This turns them
   into buttons (aria-pressed) that show their picture, with one tab stop for the row:
   the arrow keys (and Home, End) move between pictures, on the thumbnails or the strip.
   A swipe on the strip moves the pressed thumbnail along. */
(function () {
  "use strict";

  function setup(root) {
    var track = root.querySelector(".gallery-track");
    var slides = root.querySelectorAll(".gallery-slide");
    var links = root.querySelectorAll("a.gallery-thumb");
    if (!track || slides.length < 2 || links.length !== slides.length) { return; }
    var reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var buttons = [];
    var current = 0;
    var settle = 0;

    function show(index, scroll, focus) {
      current = (index + slides.length) % slides.length;
      for (var k = 0; k < buttons.length; k++) {
        buttons[k].setAttribute("aria-pressed", k === current ? "true" : "false");
        buttons[k].tabIndex = k === current ? 0 : -1;
      }
      if (scroll) {
        var left = slides[current].offsetLeft - slides[0].offsetLeft;
        track.scrollTo({ left: left, behavior: reduce ? "auto" : "smooth" });
      }
      if (focus) { buttons[current].focus(); }
    }

    function step(event, focus) {
      var moves = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
      var target = null;
      if (event.key in moves) { target = current + moves[event.key]; }
      else if (event.key === "Home") { target = 0; }
      else if (event.key === "End") { target = slides.length - 1; }
      if (target === null) { return; }
      event.preventDefault();
      show(target, true, focus);
    }

    for (var i = 0; i < links.length; i++) {
      var link = links[i];
      var button = document.createElement("button");
      button.type = "button";
      button.className = link.className;
      button.setAttribute("aria-controls", slides[i].id);
      while (link.firstChild) { button.appendChild(link.firstChild); }
      link.parentNode.replaceChild(button, link);
      button.addEventListener("click", show.bind(null, i, true, false));
      button.addEventListener("keydown", function (event) { step(event, true); });
      buttons.push(button);
    }
    track.addEventListener("keydown", function (event) {
      if (event.target === track) { step(event, false); }
    });
    // A swipe (or a scroll by other means) ends on a picture: press its thumbnail.
    track.addEventListener("scroll", function () {
      window.clearTimeout(settle);
      settle = window.setTimeout(function () {
        var index = Math.round(track.scrollLeft / Math.max(track.clientWidth, 1));
        if (index !== current && index >= 0 && index < slides.length) { show(index, false, false); }
      }, 120);
    });
    // A link to #image-N (bookmarked, or the no-JavaScript thumbnails) opens on that one.
    var start = window.location.hash.match(/^#image-(\d+)$/);
    show(start ? Math.max(1, Math.min(parseInt(start[1], 10), slides.length)) - 1 : 0, !!start, false);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var galleries = document.querySelectorAll("[data-gallery]");
    for (var i = 0; i < galleries.length; i++) { setup(galleries[i]); }
  });
})();
