/* On every page: forms that ask before they act (data-confirm="…" on the form, or on the one button of it that
   needs asking; the CSP allows no inline script), and the service worker (/sw.js, its URL from <body data-sw>) that
   keeps the filing page usable without a connection. A field marked data-frontage-for="code …" (the office's
   门前四包 frontage on /intake) shows only while its form's category is one of those; without script it always
   shows, saying when it is needed. */
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
  Array.prototype.forEach.call(document.querySelectorAll("[data-frontage-for]"), function (field) {
    var form = field.closest("form"), category = form && form.querySelector("select[name=category]"),
        codes = field.getAttribute("data-frontage-for").split(" ");
    if (!category) return;
    function toggle() {
      var on = codes.indexOf(category.value) >= 0;
      field.hidden = !on;
      field.style.display = on ? "" : "none";  // a form grid's label style would show it hidden
      field.querySelector("input").disabled = !on;
    }
    category.addEventListener("change", toggle);
    toggle();
  });
  // the worker's URL names the pages it may keep offline, those this user may open (none for a unit's clerk)
  var worker = document.body.dataset.sw;
  if (worker && "serviceWorker" in navigator) {
    navigator.serviceWorker.register(worker, { scope: "/" }).catch(function () { /* plain HTTP on a LAN address */ });
  }
})();
