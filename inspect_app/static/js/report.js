/* Photo forms (filing, rectifying): read EXIF, scale to <=1600 px upright JPEG, upload with progress.
   Filing page: geolocation (or a photo's EXIF position) -> nearest segments, a warning when far from every
   segment, the segment list searchable and a schematic map to tap; without a connection the report is kept on
   the phone (offline-queue.js) and sent when the connection returns. Without this file the forms still work. */
(function () {
  "use strict";
  var MAX_SIDE = 1600, QUALITY = 0.82, MAX_PHOTOS = 9;
  document.documentElement.classList.add("js");

  // --- a tiny EXIF reader: DateTimeOriginal (+offset) and GPS, from the first bytes of a JPEG -----------
  function readExif(buf) {
    var v = new DataView(buf), p = 2, out = {};
    if (v.byteLength < 12 || v.getUint16(0) !== 0xFFD8) return out;
    while (p + 10 < v.byteLength) {
      var marker = v.getUint16(p), size = v.getUint16(p + 2);
      if (marker === 0xFFE1 && v.getUint32(p + 4) === 0x45786966) return tiff(v, p + 10, out);
      if ((marker & 0xFF00) !== 0xFF00 || marker === 0xFFDA) break;
      p += 2 + size;
    }
    return out;
  }
  function tiff(v, t, out) {
    var le = v.getUint16(t) === 0x4949;
    function u16(o) { return v.getUint16(t + o, le); }
    function u32(o) { return v.getUint32(t + o, le); }
    function each(o, fn) { for (var i = 0, n = u16(o); i < n; i++) fn(u16(o + 2 + i * 12), o + 2 + i * 12); }
    function text(e) {
      var n = u32(e + 4), o = n > 4 ? u32(e + 8) : e + 8, s = "";
      for (var i = 0; i < n; i++) s += String.fromCharCode(v.getUint8(t + o + i));
      return s.replace(/\0[\s\S]*$/, "").trim();
    }
    function dms(e) {
      var o = u32(e + 8), r = function (k) { return u32(o + k * 8) / u32(o + k * 8 + 4); };
      return r(0) + r(1) / 60 + r(2) / 3600;
    }
    var sub = 0, gps = 0, g = {}, when = "", offset = "";
    each(u32(4), function (tag, e) { if (tag === 0x8769) sub = u32(e + 8); if (tag === 0x8825) gps = u32(e + 8); });
    if (sub) each(sub, function (tag, e) { if (tag === 0x9003) when = text(e); if (tag === 0x9011) offset = text(e); });
    if (gps) each(gps, function (tag, e) { if (tag >= 1 && tag <= 4) g[tag] = tag % 2 ? text(e) : dms(e); });
    var m = /^(\d{4}):(\d\d):(\d\d) (\d\d:\d\d:\d\d)/.exec(when);
    if (m && m[1] !== "0000") out.taken_at = m[1] + "-" + m[2] + "-" + m[3] + "T" + m[4] + (/^[+-]\d\d:\d\d$/.test(offset) ? offset : "");
    if (isFinite(g[2]) && isFinite(g[4]) && (g[2] || g[4])) {
      out.lat = +(g[1] === "S" ? -g[2] : g[2]).toFixed(7);
      out.lon = +(g[3] === "W" ? -g[4] : g[4]).toFixed(7);
    }
    return out;
  }

  // --- scaling: upright (EXIF orientation applied by the browser), <= MAX_SIDE, JPEG -----------------
  function scale(file) {
    var meta = {};
    return file.slice(0, 196608).arrayBuffer().then(function (buf) {
      try { meta = readExif(buf); } catch (e) { meta = {}; }
      return createImageBitmap(file, { imageOrientation: "from-image" });
    }).then(function (bmp) {
      var k = Math.min(1, MAX_SIDE / Math.max(bmp.width, bmp.height));
      if (k === 1 && file.size < 1500000 && file.type === "image/jpeg") { bmp.close(); return { blob: file, meta: meta }; }
      var c = document.createElement("canvas");
      c.width = Math.round(bmp.width * k); c.height = Math.round(bmp.height * k);
      var ctx = c.getContext("2d");
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(bmp, 0, 0, c.width, c.height);
      bmp.close();
      return new Promise(function (ok) { c.toBlob(ok, "image/jpeg", QUALITY); }).then(function (blob) {
        return { blob: blob || file, meta: meta, scaled: !!blob };
      });
    }).catch(function () {
      return { blob: file, meta: meta, raw: 1 };  // cannot decode it (e.g. HEIC): the server judges it
    });
  }

  function send(url, data, progress) {
    return new Promise(function (ok, fail) {
      var x = new XMLHttpRequest();
      x.open("POST", url);
      x.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      x.setRequestHeader("Accept", "application/json");
      x.upload.onprogress = function (e) { if (e.lengthComputable) progress(e.loaded / e.total); };
      x.onload = function () {
        var body = null;
        try { body = JSON.parse(x.responseText); } catch (e) { body = null; }
        if (body && body.redirect) return ok(body.redirect);
        var msg = body && body.error ? body.error.message
          : /\/login/.test(x.responseURL || "") ? "登录已过期，请重新登录后再提交。"
          : "提交失败（" + x.status + "），请稍后重试。";
        fail(new Error(msg));
      };
      x.onerror = x.ontimeout = function () {
        var e = new Error("网络连接失败，请检查网络后重试（不会重复上报）。");
        e.network = true;
        fail(e);
      };
      x.send(data);
    });
  }

  function newKey() {
    return Array.prototype.map.call(crypto.getRandomValues(new Uint8Array(16)), function (b) {
      return (b + 256).toString(16).slice(1);
    }).join("");
  }

  // --- the visible queue of reports kept on this phone ---------------------------------------------------
  function offlineQueue(form) {
    var Q = window.OfflineQueue, box = document.querySelector(".queue"), user = form.getAttribute("data-user");
    if (!Q || !Q.supported || !box || !form.getAttribute("data-offline")) return null;
    var listEl = box.querySelector(".queue-list"), count = box.querySelector(".queue-count"),
        note = box.querySelector(".queue-note"), banner = document.querySelector(".net-off");
    function when(t) {
      var d = new Date(t);
      return (d.getMonth() + 1) + "-" + d.getDate() + " " + ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
    }
    function draw() {
      return Q.list("report").then(function (records) {
        records = records.filter(function (r) { return String(r.user) === String(user); });
        box.hidden = !records.length && !box.querySelector(".queue-done");
        count.textContent = records.length;
        listEl.textContent = "";
        records.forEach(function (r) {
          var li = document.createElement("li"), text = document.createElement("span"), state = document.createElement("small");
          li.className = "queue-item " + r.status;
          text.textContent = r.label + " · " + when(r.created) + " · " + (r.files || []).length + "张照片";
          state.textContent = r.status === "failed" ? "发送失败：" + r.error : (r.error ? "等待发送：" + r.error : "等待发送");
          li.append(text, state);
          if (r.status === "failed") {
            var rm = document.createElement("button");
            rm.type = "button"; rm.className = "btn danger-outline"; rm.textContent = "删除";
            rm.setAttribute("aria-label", "删除这条发送失败的上报");
            rm.onclick = function () { Q.remove(r.id); };
            li.append(rm);
          }
          listEl.append(li);
        });
        return records;
      });
    }
    function flush() {
      if (!navigator.onLine) return Promise.resolve();
      return Q.flush(user, function (record, url) {
        var done = box.querySelector(".queue-done") || document.createElement("p"), a = document.createElement("a");
        done.className = "queue-done alert success";
        done.setAttribute("role", "status");
        done.textContent = "已发送：" + record.label + " ";
        a.href = url; a.textContent = "查看";
        done.append(a);
        note.after(done);
      }).then(draw);
    }
    function online() { if (banner) banner.hidden = navigator.onLine; if (navigator.onLine) flush(); }
    Q.onChange(draw);
    window.addEventListener("online", online);
    window.addEventListener("offline", online);
    box.querySelector(".queue-send").addEventListener("click", function () {
      if (!navigator.onLine) { note.textContent = "仍然没有网络，恢复后会自动发送。"; return; }
      flush();
    });
    setInterval(function () { if (navigator.onLine) flush(); }, 30000);
    draw().then(online);
    return {
      keep: function (data, label) {
        var fields = [], files = [];
        data.forEach(function (value, name) {
          if (typeof value === "string") fields.push([name, value]);
          else files.push([name, value, value.name || "photo.jpg"]);
        });
        return Q.add({ kind: "report", url: form.action, user: user, label: label, fields: fields, files: files });
      }
    };
  }

  function photoForm(form) {
    var input = form.querySelector(".photo-input"), previews = form.querySelector(".previews"),
        errBox = form.querySelector(".js-error"), prog = form.querySelector(".prog"),
        status = form.querySelector(".status"), button = form.querySelector("button[type=submit]"),
        items = [], busy = false, queue = offlineQueue(form);
    if (!input || !window.FormData || !window.createImageBitmap) return;
    input.required = false;  // the photos live in `items`, the input is emptied after each pick
    function say(text) { status.textContent = text || ""; }
    function fail(text) { errBox.textContent = text; errBox.hidden = !text; if (text) errBox.scrollIntoView({ block: "center" }); }
    function label() {
      var c = form.querySelector("input[name=category]:checked"), s = form.elements.segment_id, a = form.elements.address;
      var name = c ? c.closest("label").querySelector("span").firstChild.textContent.trim() : "上报";
      var place = (a && a.value.trim()) || (s && s.value && s.selectedOptions[0] ? s.selectedOptions[0].textContent.replace(/（.*$/, "") : "");
      return place ? name + " · " + place : name;
    }
    function cleared() {  // after a report is kept on the phone: a fresh form for the next one
      form.reset();
      items = []; previews.textContent = "";
      if (form.elements.idempotency_key) form.elements.idempotency_key.value = newKey();
      form.dispatchEvent(new CustomEvent("report:reset"));
    }

    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files, 0, MAX_PHOTOS - items.length);
      if (input.files.length > files.length) fail("照片最多" + MAX_PHOTOS + "张。");
      input.value = "";
      files.forEach(function (file) {
        var item = { name: file.name || "photo.jpg", ready: null };
        var fig = document.createElement("figure"), cap = document.createElement("figcaption"),
            rm = document.createElement("button");
        rm.type = "button"; rm.className = "rm"; rm.textContent = "×"; rm.setAttribute("aria-label", "删除这张照片");
        rm.onclick = function () { if (!busy) { items.splice(items.indexOf(item), 1); fig.remove(); } };
        cap.textContent = "处理中…";
        fig.append(cap, rm);
        previews.append(fig);
        items.push(item);
        item.ready = scale(file).then(function (r) {
          var img = new Image(), kb = Math.ceil(r.blob.size / 1024) + " KB";
          img.alt = "照片预览";
          if (!r.raw) { img.src = URL.createObjectURL(r.blob); fig.prepend(img); }
          cap.textContent = r.raw ? "无法预览 · " + kb : kb + (r.meta.lat != null ? " · 含位置" : "");
          if (r.meta.lat != null) form.dispatchEvent(new CustomEvent("photo:position", { detail: r.meta }));
          return r;
        });
      });
    });

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (busy) return;
      if (!items.length) { fail("请至少拍摄或选择一张照片。"); return; }
      if (form.elements.category && !form.elements.category.value) { fail("请选择问题类别。"); return; }  // radios or a select
      busy = true; button.disabled = true; fail("");
      say("正在处理照片…");
      var data;
      function keep() {
        return queue.keep(data, label()).then(function () {
          busy = false; button.disabled = false; prog.hidden = true;
          cleared();
          say("没有网络：这条上报已保存在手机上，恢复网络后自动发送。可以继续上报下一条。");
          document.querySelector(".queue").scrollIntoView({ block: "start" });
        });
      }
      Promise.all(items.map(function (i) { return i.ready; })).then(function (results) {
        data = new FormData(form);
        data.delete("photos");
        results.forEach(function (r, n) {
          data.append("photos", r.blob, r.scaled ? "photo" + (n + 1) + ".jpg" : items[n].name);
        });
        data.set("photo_meta", JSON.stringify(results.map(function (r) { return r.meta; })));
        if (queue && !navigator.onLine) return keep().then(function () { return null; });
        prog.hidden = false; prog.value = 0;
        say("正在上传…");
        return send(form.action, data, function (f) { prog.value = f; say("正在上传 " + Math.round(f * 100) + "%"); })
          .catch(function (e) { if (queue && e.network) return keep().then(function () { return null; }); throw e; });
      }).then(function (url) {
        if (!url) return;
        say("提交成功，正在跳转…");
        location.assign(url);
      }, function (e) {
        busy = false; button.disabled = false; prog.hidden = true; say("");
        fail(e.message || "提交失败，请重试。");
      });
    });
  }

  // --- filing page: the segment list (searched on the server), nearest segments, far warning, the map -----
  // The page comes with a short list (the chosen segment, the user's recent ones); typing asks /segments/search.
  function segments(form) {
    var select = form.querySelector(".segment-select"), q = form.querySelector("#segment-q"),
        go = form.querySelector(".seg-go"), found = form.querySelector(".seg-found"), far = form.querySelector(".loc-far"),
        url = form.getAttribute("data-near"), searchUrl = form.getAttribute("data-search");
    if (!select) return null;
    var first = select.options[0], near = null, nearText = "", results = null, asked = 0, timer = null, last = null;
    var start = Array.prototype.map.call(select.querySelectorAll("optgroup"), function (g) {
      return { label: g.label, options: Array.prototype.map.call(g.children, function (o) {
        return { value: o.value, text: o.textContent };
      }) };
    });
    function option(value, text) { var o = document.createElement("option"); o.value = value; o.textContent = text; return o; }
    function group(label, options) {
      var g = document.createElement("optgroup");
      g.label = label;
      options.forEach(function (o) { g.append(option(o.value, o.text)); });
      return g;
    }
    function named(s) { return s.name + "（" + s.district + " · " + s.unit_name + "）"; }
    function rebuild() {
      var keep = select.value, kept = select.selectedIndex > 0 ? select.options[select.selectedIndex].textContent : "";
      select.textContent = "";
      select.append(first);
      if (near && near.length && !results) {
        select.append(group(nearText, near.map(function (s) {
          return { value: s.id, text: s.name + "（" + s.district + " · " + s.unit_name + " · " + distance(s.distance_m) + "）" };
        })));
      }
      (results || start).forEach(function (g) { select.append(group(g.label, g.options)); });
      select.value = keep;
      if (keep && select.value === keep) return;
      var hit = results && select.querySelector("optgroup option");
      if (hit) select.value = hit.value;  // the first match chosen, so a search is one step
      else if (keep) { first.after(group("已选的路段", [{ value: keep, text: kept }])); select.value = keep; }
      else select.value = "";
    }
    function search(term) {
      clearTimeout(timer);
      term = (term || "").trim();
      if (term === last) return;
      last = term;
      var mine = ++asked;
      if (!term) { results = null; found.textContent = ""; rebuild(); return; }
      found.textContent = "正在搜索…";
      fetch(searchUrl + "?q=" + encodeURIComponent(term), {
        headers: { "X-Requested-With": "XMLHttpRequest" }, credentials: "same-origin"
      }).then(function (r) {
        return r.json().then(function (body) {
          if (r.ok) return body;
          var e = new Error((body.error && body.error.message) || "搜索失败，请重试。");
          e.said = true;
          throw e;
        });
      }).catch(function (e) {  // no connection: the map's data, when the service worker kept it, is searched here
        if (e.said) throw e;
        return fetch(form.getAttribute("data-map"), { credentials: "same-origin" }).then(function (r) {
          if (!r.ok) throw e;
          return r.json();
        }).then(function (map) {
          var words = term.split(/\s+/).slice(0, 4), hits = map.segments.filter(function (s) {
            return words.every(function (w) { return (s.name + " " + s.district + " " + s.unit_name).indexOf(w) >= 0; });
          });
          return { segments: hits.slice(0, 20), more: hits.length > 20, offline: true };
        }, function () { throw e; });
      }).then(function (body) {
        if (mine !== asked) return;
        var groups = [], by = {}, n = body.segments.length;
        body.segments.forEach(function (s) {
          if (!by[s.district]) groups.push(by[s.district] = { label: s.district, options: [] });
          by[s.district].options.push({ value: String(s.id), text: named(s) });
        });
        results = groups;
        found.textContent = !n ? "没有找到“" + term + "”：请换个词（路段名、区县或街道），或在地图上选择。"
          : body.more ? "找到 " + n + " 条以上，只列出前 " + n + " 条：请输入更具体的名称。" : "找到 " + n + " 条路段";
        if (body.offline) found.textContent += "（没有网络：按本机保存的路段地图搜索）";
        rebuild();
      }, function (e) {
        if (mine !== asked) return;
        last = null;  // the same words may be tried again
        found.textContent = e.said ? e.message : "暂时无法搜索路段（可能没有网络）：可以不选，按位置匹配，或填写地址。";
      });
    }
    function distance(m) { return m >= 1000 ? (m / 1000).toFixed(m >= 10000 ? 0 : 1) + "公里" : m + "米"; }
    if (q) {
      q.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(function () { search(q.value); }, 250); });
      q.addEventListener("keydown", function (e) {
        if (e.key === "Enter") { e.preventDefault(); search(q.value); select.focus(); }
      });
    }
    if (go) go.addEventListener("click", function (e) { e.preventDefault(); if (q) search(q.value); });
    function locateAt(lat, lon, how) {
      return fetch(url + "?lat=" + lat + "&lon=" + lon, {
        headers: { "X-Requested-With": "XMLHttpRequest" }, credentials: "same-origin"
      }).then(function (r) { return r.ok ? r.json() : []; }).then(function (list) {
        var limit = +form.getAttribute("data-far");
        if (list.length && list[0].distance_m > limit) {
          near = null;
          far.hidden = false;
          far.textContent = how + "距最近的责任路段（" + list[0].name + "）约" + distance(list[0].distance_m) +
            "，可能定位有误或不在本市范围。请搜索或在地图上选择路段，或填写地址。";
          first.textContent = "不自动匹配（请选择路段）";
        } else {
          far.hidden = true;
          near = list.slice(0, 5); nearText = "附近路段（" + how + "）";
          if (list.length && list[0].distance_m <= +form.getAttribute("data-radius")) first.textContent = "自动匹配最近路段（" + list[0].name + "）";
        }
        rebuild();
        return list;
      }).catch(function () { /* offline: the list stays as it is */ });
    }
    return { locateAt: locateAt, select: function (id, s) {  // s: the segment's name, district and unit (the map's)
      if (q && q.value) { q.value = ""; search(""); }
      id = String(id);
      select.value = id;
      if (select.value !== id && s) { first.after(group("已选的路段", [{ value: id, text: named(s) }])); select.value = id; }
      select.dispatchEvent(new Event("change"));
    }, reset: function () { near = null; far.hidden = true; results = null; last = null; found.textContent = ""; rebuild(); } };
  }

  function locate(form, list) {
    var lat = form.elements.lat, lon = form.elements.lon, note = form.querySelector(".loc-status");
    if (!lat || !form.getAttribute("data-near")) return;
    var key = form.elements.idempotency_key;
    if (key && window.crypto && crypto.getRandomValues) key.value = newKey();  // fresh per page load, reused by every retry
    var fromPhone = false;
    form.addEventListener("photo:position", function (e) {
      if (fromPhone || lat.value) return;
      note.textContent = "未获取手机定位：已按照片中的位置匹配路段。";
      list.locateAt(e.detail.lat.toFixed(6), e.detail.lon.toFixed(6), "照片拍摄位置");
    });
    if (!navigator.geolocation) return;
    note.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      fromPhone = true;
      lat.value = pos.coords.latitude.toFixed(6);
      lon.value = pos.coords.longitude.toFixed(6);
      note.textContent = "已定位（精度约" + Math.round(pos.coords.accuracy) + "米）";
      form.dispatchEvent(new CustomEvent("phone:position", { detail: { lat: +lat.value, lon: +lon.value } }));
      list.locateAt(lat.value, lon.value, "您的位置");
    }, function (e) {
      note.textContent = e.code === 1 ? "未允许定位：请搜索或在地图上选择路段，或在浏览器设置中允许定位。"
        : "暂时无法定位：请搜索或在地图上选择路段；不选则按照片中的位置匹配。";
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  // --- the schematic map: segments drawn from their coordinates, tap to choose --------------------------
  function segmentMap(form, list) {
    var toggle = form.querySelector(".map-toggle"), panel = form.querySelector("#segment-map");
    if (!toggle || !panel) return;
    var NS = "http://www.w3.org/2000/svg", svg = null, data = null, view = null, full = null, me = null,
        pick = panel.querySelector(".segmap-pick"), box = panel.querySelector(".segmap-box");
    form.addEventListener("phone:position", function (e) { me = e.detail; dot(); });
    function el(name, attrs) {
      var n = document.createElementNS(NS, name);
      for (var k in attrs) n.setAttribute(k, attrs[k]);
      return n;
    }
    function setView(v) { view = v; svg.setAttribute("viewBox", v.join(" ")); }
    function dot() {
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
      list.select(hit.segment.id, hit.segment);
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
    toggle.addEventListener("click", function () {
      var open = panel.hidden;
      panel.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      toggle.textContent = open ? "收起地图" : "在地图上选择路段";
      if (open && !data) {
        box.textContent = "正在载入地图…";
        fetch(form.getAttribute("data-map"), { credentials: "same-origin" }).then(function (r) {
          if (!r.ok) throw new Error(r.status);
          return r.json();
        }).then(function (json) { box.textContent = ""; build(json); }, function () {
          box.textContent = "地图载入失败（可能没有网络）：请在上面的列表中搜索路段。";
        });
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form.js-photos"), function (form) {
    var list = segments(form);
    if (list) {
      locate(form, list);
      segmentMap(form, list);
      form.addEventListener("report:reset", function () { list.reset(); });
    }
    photoForm(form);
  });
})();
