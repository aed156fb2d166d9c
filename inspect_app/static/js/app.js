/* On every page: forms that ask before they act (data-confirm="…"; the CSP allows no inline script), and the
   service worker (/sw.js) that keeps the filing page usable without a connection. */
(function () {
  "use strict";
  document.addEventListener("submit", function (e) {
    var form = e.target, question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);
  if ("serviceWorker" in navigator && document.body.getAttribute("data-sw") === "on") {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* plain HTTP on a LAN address */ });
  }
})();
