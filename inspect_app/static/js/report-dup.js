/* 疑似重复 on the filing page (loaded by report.js when a category is picked): the open problems of that category
   near the phone's position (or, without one, the photo's), from the form's data-dup URL, named under the
   categories with links that open in a new tab (the form keeps its photos). Filing is not held up: two problems can
   be a few metres apart. Without a connection nothing is said. */
(function (parts) {
  "use strict";
  var form = document.querySelector("form.report");
  if (!form || parts.dup) return;
  parts.dup = true;  // run once, however often report.js asks
  var box = form.querySelector(".dup-note"), photo = null, asked = "";

  function show(found) {
    box.textContent = "";
    box.hidden = !found.items.length;
    if (box.hidden) return;
    var head = document.createElement("p"), list = document.createElement("ul");
    var total = found.total || found.items.length;  // all of them; the nearest few are listed
    head.textContent = "附近" + found.radius_m + "米内已有" + total + "件同类问题正在办理" +
      (total > found.items.length ? "（列出距离最近的" + found.items.length + "件）" : "") + "，" +
      "如是同一处问题请不要重复上报（不同的问题照常提交）：";
    found.items.forEach(function (t) {
      var li = document.createElement("li"), a = document.createElement("a");
      a.href = t.url;
      a.target = "_blank";
      a.rel = "noopener";
      a.textContent = t.number;
      li.append(a, " " + [t.status, t.reported + "上报", t.place, "相距" + t.distance_m + "米"].filter(Boolean)
        .join(" · "));
      list.append(li);
    });
    box.append(head, list);
  }

  function check() {
    var picked = form.querySelector("input[name=category]:checked, select[name=category]"),
        lat = form.elements.lat.value || (photo && photo.lat), lon = form.elements.lon.value || (photo && photo.lon),
        key = [picked && picked.value, lat, lon].join();
    if (!picked || !picked.value || !lat || !lon || key === asked) return;
    asked = key;
    fetch(form.dataset.dup + "?category=" + encodeURIComponent(picked.value) + "&lat=" + lat + "&lon=" + lon,
          { headers: { "X-Requested-With": "XMLHttpRequest" } })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (found) { if (key === asked) show(found); })
      .catch(function () { asked = ""; });  // offline: asked again at the next change
  }

  form.addEventListener("change", check);
  form.addEventListener("phone:position", check);
  form.addEventListener("photo:position", function (e) { photo = photo || e.detail; check(); });
  form.addEventListener("report:reset", function () { box.hidden = true; box.textContent = ""; photo = null; asked = ""; });
  check();
})(window.ReportParts = window.ReportParts || {});
