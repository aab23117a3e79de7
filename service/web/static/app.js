/* The clerks' pages work without this file, loaded from /static because the
   Content-Security-Policy forbids inline scripts: filter panels (<details data-fold-narrow open>)
   fold away on a phone, so the first result is in the first screen. The date fields' calendar
   is datepicker.js. */
(function () {
  "use strict";

  var NARROW = "(max-width: 640px)";

  function foldOnPhones() {
    if (!window.matchMedia(NARROW).matches) { return; }
    document.querySelectorAll("details[data-fold-narrow]").forEach(function (panel) {
      panel.open = false;
    });
  }

  function start() {
    foldOnPhones();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
