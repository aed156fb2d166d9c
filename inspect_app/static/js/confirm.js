/* Forms that ask before they act: data-confirm="…" on the form, or on the one button of it that needs asking (the
   CSP allows no inline script). Not when the field that data-unless names is filled: the server then shows a
   confirmation step of its own (作废 as a duplicate shows the other problem first), and a dialog would ask twice.
   Loaded by base.html on every page but the filing page, which has no such form. */
(function () {
  "use strict";
  document.addEventListener("submit", function (e) {
    var asks = (e.submitter || e.target).closest("[data-confirm]"),
        unless = asks && asks.dataset.unless && e.target.elements[asks.dataset.unless],
        question = asks && !(unless && unless.value.trim()) && asks.dataset.confirm;
    if (question && !confirm(question)) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);
})();
