/* On every page: forms that ask before they act (data-confirm="…" on the form, or on the one button of it that
   needs asking; the CSP allows no inline script), and the service worker (/sw.js) that keeps the filing page
   usable without a connection. */
(function () {
  "use strict";
  document.addEventListener("submit", function (e) {
    var asks = (e.submitter || e.target).closest("[data-confirm]"),
        question = asks && asks.dataset.confirm;
    if (question && !confirm(question)) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);
  if ("serviceWorker" in navigator && document.body.dataset.sw === "on") {
    // the pages the worker may keep offline are those this user may open (data-sw-keep): none for a unit's clerk
    var keep = document.body.dataset.swKeep;
    navigator.serviceWorker.register("/sw.js" + (keep ? "?keep=" + encodeURIComponent(keep) : ""), { scope: "/" })
      .catch(function () { /* plain HTTP on a LAN address */ });
  }
})();
