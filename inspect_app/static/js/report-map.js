/* The filing page's schematic map (loaded by report.js when its button is first tapped): every segment drawn
   from its coordinates (/segments/map.json), the phone's position as a red dot, tap a segment to choose it. */
(function (parts) {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  function el(name, attrs) {
    var n = document.createElementNS(NS, name);
    for (var k in attrs) n.setAttribute(k, attrs[k]);
    return n;
  }
  parts.map = function (list, toggle) {
    var form = list.form, panel = form.querySelector("#segment-map");
    if (!panel) return;
    var svg = null, data = null, view = null, full = null, loading = false,
        pick = panel.querySelector(".segmap-pick"), box = panel.querySelector(".segmap-box");
    form.addEventListener("phone:position", dot);
    function setView(v) { view = v; svg.setAttribute("viewBox", v.join(" ")); }
    function dot() {
      var me = list.me;
      if (!svg || !me || !data.projection) return;
      var p = data.projection, old = svg.querySelector(".me");
      if (old) old.remove();
      var x = (me.lon - p.lon0) * p.kx, y = (p.lat0 - me.lat) * p.ky;
      if (x < -p.width || y < -p.height || x > 2 * p.width || y > 2 * p.height) return;  // far away: no dot
      svg.append(el("circle", { "class": "me", cx: x, cy: y, r: full[2] / 90 }));
    }
    function build(json) {
      data = json;
      if (!json.segments.length) { box.textContent = "还没有录入路段坐标。"; return; }
      var p = json.projection, pad = Math.max(p.width, p.height) * 0.04 + 50;
      full = [-pad, -pad, p.width + 2 * pad, p.height + 2 * pad];
      svg = el("svg", { "class": "segmap-svg", role: "img", "aria-label": "责任路段示意图，点击路段即可选中" });
      svg.append(el("rect", { x: full[0], y: full[1], width: full[2], height: full[3], "class": "segmap-bg" }));
      json.segments.forEach(function (s) {
        var line = el("polyline", { points: s.points.map(function (q) { return q.join(","); }).join(" "), "class": "seg" });
        line.setAttribute("data-id", s.id);
        svg.append(line);
      });
      setView(full.slice());
      box.append(svg);
      dot();
      svg.addEventListener("click", tap);
    }
    function nearest(x, y) {
      var best = null, bestD = Infinity;
      data.segments.forEach(function (s) {
        for (var i = 0; i < s.points.length; i++) {
          var a = s.points[i], b = s.points[i + 1] || a, dx = b[0] - a[0], dy = b[1] - a[1], len = dx * dx + dy * dy;
          var t = len ? Math.max(0, Math.min(1, ((x - a[0]) * dx + (y - a[1]) * dy) / len)) : 0;
          var ex = a[0] + t * dx - x, ey = a[1] + t * dy - y, d = ex * ex + ey * ey;
          if (d < bestD) { bestD = d; best = s; }
        }
      });
      return { segment: best, distance: Math.sqrt(bestD) };
    }
    function choose(s) {  // a search in progress is cleared; a segment not in the list is listed apart
      var select = list.select, id = String(s.id);
      if (list.q && list.q.value) { list.q.value = ""; list.clear(); }
      select.value = id;
      if (select.value !== id) {
        list.first.after(list.group("已选的路段", [{ value: id, text: s.name + "（" + s.district + " · " + s.unit_name + "）" }]));
        select.value = id;
      }
      select.dispatchEvent(new Event("change"));
    }
    function tap(e) {
      var m = svg.getScreenCTM();
      if (!m) return;
      var pt = svg.createSVGPoint();
      pt.x = e.clientX; pt.y = e.clientY;
      var at = pt.matrixTransform(m.inverse()), hit = nearest(at.x, at.y);
      var tolerance = 24 / m.a;  // 24 screen pixels, in map metres
      if (!hit.segment || hit.distance > tolerance) {
        pick.textContent = "这里附近没有路段：请放大地图后再点，或搜索路段。";
        return;
      }
      Array.prototype.forEach.call(svg.querySelectorAll(".seg.on"), function (n) { n.classList.remove("on"); });
      var line = svg.querySelector('.seg[data-id="' + hit.segment.id + '"]');
      line.classList.add("on");
      svg.append(line);  // drawn on top
      choose(hit.segment);
      pick.textContent = "已选：" + hit.segment.name + "（" + hit.segment.district + " · " + hit.segment.unit_name + "）";
    }
    panel.querySelectorAll(".map-zoom").forEach(function (b) {
      b.addEventListener("click", function () {
        if (!svg) return;
        var k = +b.getAttribute("data-zoom");
        if (!k) { setView(full.slice()); return; }
        var w = Math.min(full[2], Math.max(full[2] / 64, view[2] / k)), h = w * full[3] / full[2];
        var on = svg.querySelector(".seg.on"), cx = view[0] + view[2] / 2, cy = view[1] + view[3] / 2;
        if (on && k > 1) { var bb = on.getBBox(); cx = bb.x + bb.width / 2; cy = bb.y + bb.height / 2; }
        setView([cx - w / 2, cy - h / 2, w, h]);
      });
    });
    function show() {
      var open = panel.hidden;
      panel.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      toggle.textContent = open ? "收起地图" : "在地图上选择路段";
      if (open && !data && !loading) {
        loading = true;
        box.textContent = "正在载入地图…";
        fetch(form.getAttribute("data-map"), { credentials: "same-origin" }).then(function (r) {
          if (!r.ok) throw new Error(r.status);
          return r.json();
        }).then(function (json) { box.textContent = ""; build(json); }, function () {
          box.textContent = "地图载入失败（可能没有网络）：请在上面的列表中搜索路段。";
        }).then(function () { loading = false; });
      }
    }
    toggle.addEventListener("click", show);
    show();  // the tap that loaded this file
  };
})(window.ReportParts = window.ReportParts || {});
