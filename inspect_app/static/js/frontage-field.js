/* The office's 门前四包 frontage field on /intake (受理 and 登记): a field marked data-frontage-for="code …" shows only
   while its form's category is one of those codes. Without script it always shows, saying when it is needed. Only
   the intake pages load this (the filing page's scripts have a budget). */
(function () {
  "use strict";
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
})();
