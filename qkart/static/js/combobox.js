/* QKart: the header search box as an accessible combobox (WAI-ARIA APG pattern).
   htmx fills the listbox as the shopper types; this moves through it with the arrow
   keys (aria-activedescendant), opens the chosen option with Enter and closes the
   list with Escape. Without JavaScript the box is a plain search form. */
(function () {
  "use strict";

  function setup(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    if (!list) { return; }
    var active = -1;

    function options() { return list.querySelectorAll('[role="option"]'); }

    function select(index) {
      var opts = options();
      active = index;
      for (var k = 0; k < opts.length; k++) {
        opts[k].setAttribute("aria-selected", k === index ? "true" : "false");
      }
      if (index >= 0 && opts[index]) {
        input.setAttribute("aria-activedescendant", opts[index].id);
        opts[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function open(show) {
      list.hidden = !show;
      input.setAttribute("aria-expanded", show ? "true" : "false");
      if (!show) { select(-1); }
    }

    document.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target !== list) { return; }
      active = -1;
      open(options().length > 0 && input.value.trim() !== "" && document.activeElement === input);
    });

    input.addEventListener("keydown", function (event) {
      var opts = options();
      if (event.key === "ArrowDown" && opts.length) {
        event.preventDefault();
        open(true);
        select((active + 1) % opts.length);
      } else if (event.key === "ArrowUp" && opts.length) {
        event.preventDefault();
        open(true);
        select(active <= 0 ? opts.length - 1 : active - 1);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        open(false);
      } else if (event.key === "Enter" && active >= 0 && opts[active]) {
        event.preventDefault();
        window.location.assign(opts[active].getAttribute("data-href"));
      }
    });

    input.addEventListener("blur", function () {
      window.setTimeout(function () { open(false); }, 150);
    });
    // A click on an option opens it; the focus stays in the box meanwhile.
    list.addEventListener("mousedown", function (event) { event.preventDefault(); });
    list.addEventListener("click", function (event) {
      var option = event.target.closest('[role="option"]');
      if (option) { window.location.assign(option.getAttribute("data-href")); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var boxes = document.querySelectorAll('[role="combobox"][aria-controls]');
    for (var i = 0; i < boxes.length; i++) { setup(boxes[i]); }
  });
})();
