/* On every page: forms that ask before they act (data-confirm="…" on the form, or on the one button of it that
   needs asking; the CSP allows no inline script; data-confirm-unless names a field that, filled, asks nothing here
   because the server shows a confirmation step of its own), and the service worker (/sw.js, its URL from <body data-sw>) that
   keeps the filing page usable without a connection. */
(function () {
  "use strict";
  document.addEventListener("submit", function (e) {
    var asks = (e.submitter || e.target).closest("[data-confirm]"),
        question = asks && asks.dataset.confirm,
        // data-confirm-unless="field": a filled field leads to the server's own confirmation step, not to the act
        unless = asks && asks.dataset.confirmUnless && e.target.elements[asks.dataset.confirmUnless];
    if (unless && unless.value.trim()) {
      question = null;
    }
    if (question && !confirm(question)) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);
  // the worker's URL names the pages it may keep offline, those this user may open (none for a unit's clerk)
  var worker = document.body.dataset.sw;
  if (worker && "serviceWorker" in navigator) {
    navigator.serviceWorker.register(worker, { scope: "/" }).catch(function () { /* plain HTTP on a LAN address */ });
  }
})();
