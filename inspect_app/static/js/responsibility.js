/* The filing form's responsibility block (templates/tickets/_responsibility_fields.html): show the 产权 units only
   for their category, keep 主办 and 协办 apart, and find a 门前四包 frontage by name. report.js loads this file when
   a category that has a block is first picked (until then the CSS hides the blocks: form:not(.resp-ready));
   without JavaScript every part shows and the frontage is given by its register number. */
(function () {
  "use strict";
  var form = document.querySelector("form.report"), parts = window.ReportParts = window.ReportParts || {};
  if (!form || parts.resp) return;
  parts.resp = true;  // run once, however often report.js asks
  var blocks = form.querySelectorAll("[data-resp-for]");

  function chosen() {
    var c = form.querySelector("input[name=category]:checked");
    return c ? c.value : "";
  }
  var segments = form.querySelector("select[name=segment_id]"), auto = segments && segments.options[0];
  function byRegister(f) {  // a picked frontage's registered segment decides where "no segment chosen" goes
    if (!auto) return;
    if (f && f.segment) {
      if (auto.dataset.auto == null) auto.dataset.auto = auto.textContent;
      auto.textContent = "按商户登记路段（" + f.segment + "）";
    } else if (auto.dataset.auto != null) {
      auto.textContent = auto.dataset.auto;
      delete auto.dataset.auto;
    }
  }
  function toggle() {
    var code = chosen();
    Array.prototype.forEach.call(blocks, function (b) {
      var on = b.getAttribute("data-resp-for").split(" ").indexOf(code) >= 0;
      b.hidden = !on;
      Array.prototype.forEach.call(b.querySelectorAll("input"), function (i) { i.disabled = !on; });
    });
    var picked = form.querySelector("input[name=frontage_id]");
    byRegister(picked && !picked.disabled && picked.value ? picked.frontage : null);
  }
  form.addEventListener("change", function (e) {
    var t = e.target;
    if (t.name === "category") toggle();
    if (t.name === "owner_lead") {  // the lead is not also an assisting unit
      var box = t.closest("tr").querySelector("input[name=owner_assist]");
      if (box) box.checked = false;
    }
    if (t.name === "owner_assist" && t.checked) {
      var radio = t.closest("tr").querySelector("input[name=owner_lead]");
      if (radio && radio.checked) radio.checked = false;
    }
  });
  toggle();
  form.classList.add("resp-ready");  // the blocks follow their `hidden` from now on

  var fs = form.querySelector(".resp-frontage");
  if (!fs) return;
  var input = fs.querySelector("input[name=frontage_code]"), hidden = fs.querySelector("input[name=frontage_id]"),
      list = fs.querySelector(".resp-found"), url = fs.getAttribute("data-search"), timer = null;
  input.placeholder = "输入商户名称或地址查找";
  function pick(f) {
    hidden.value = f.id; hidden.frontage = f; input.value = f.code; list.innerHTML = "";
    var li = document.createElement("li");
    li.className = "picked";
    li.textContent = "已选：" + f.name + "（" + f.address + " · " + f.street + "）" +
      (f.segment ? "，未另选路段时按其登记路段“" + f.segment + "”派遣" : "");
    list.append(li);
    byRegister(f);
  }
  form.addEventListener("report:reset", function () { hidden.value = ""; list.innerHTML = ""; byRegister(null); });
  input.addEventListener("input", function () {
    hidden.value = ""; byRegister(null);
    clearTimeout(timer);
    var q = input.value.trim();
    if (!q) { list.innerHTML = ""; return; }
    timer = setTimeout(function () {
      var total = 0;  // how many match in all (the server's X-Total-Count): the list shows the first 8
      fetch(url + "?q=" + encodeURIComponent(q), { headers: { "X-Requested-With": "XMLHttpRequest" }, credentials: "same-origin" })
        .then(function (r) { total = +r.headers.get("X-Total-Count") || 0; return r.ok ? r.json() : []; })
        .then(function (found) {
          list.innerHTML = "";
          var shown = found.slice(0, 8);
          shown.forEach(function (f) {
            var li = document.createElement("li"), b = document.createElement("button");
            b.type = "button"; b.className = "link-btn";
            b.textContent = f.name + " · " + f.address;
            b.onclick = function () { pick(f); };
            li.append(b); list.append(li);
          });
          if (!found.length) { var li = document.createElement("li"); li.textContent = "没有找到，可填写责任书编号。"; list.append(li); }
          if (total > shown.length) {  // a neighbour of the same name must not be picked for want of the one cut off
            var more = document.createElement("li");
            more.className = "hint";
            more.textContent = "共找到 " + total + " 家，只列出前 " + shown.length + " 家。没有要找的，请输入更多文字（如门牌号）。";
            list.append(more);
          }
        }).catch(function () {});
    }, 250);
  });
})();
