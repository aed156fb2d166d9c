/* On every page: the service worker (/sw.js, its URL from <body data-sw>) that keeps the filing page usable without
   a connection. (Forms that ask before they act: confirm.js.) */
(function () {
  "use strict";
  // the worker's URL names the pages it may keep offline, those this user may open (none for a unit's clerk)
  var worker = document.body.dataset.sw;
  if (worker && "serviceWorker" in navigator) {
    navigator.serviceWorker.register(worker, { scope: "/" }).catch(function () { /* plain HTTP on a LAN address */ });
  }
})();
