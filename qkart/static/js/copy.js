/* QKart: "Copy" and "Print" buttons. They are hidden in the page and shown only here,
   so without JavaScript nobody meets a button that does nothing. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var copies = document.querySelectorAll("button[data-copy]");
    for (var i = 0; i < copies.length; i++) {
      if (!navigator.clipboard) { break; }
      copies[i].hidden = false;
      copies[i].addEventListener("click", function (event) {
        var id = event.currentTarget.getAttribute("data-copy");
        var source = document.getElementById(id);
        var status = document.querySelector('[data-copied-for="' + id + '"]');
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          if (status) { status.textContent = "Copied."; }
        });
      });
    }
    var prints = document.querySelectorAll("button[data-print]");
    for (var k = 0; k < prints.length; k++) {
      prints[k].hidden = false;
      prints[k].addEventListener("click", function () { window.print(); });
    }
  });
})();
