/* Photo forms (filing, rectifying): read EXIF, scale to <=1600 px upright JPEG, upload with progress (patrol.js
   uses the same two for the check-in's photo, as ReportParts.photo).
   Filing page: geolocation (or a photo's EXIF position) -> nearest segments, a warning when far from every
   segment. What only some filings need is loaded when it is used (issue 17: a phone downloads little to file):
   the search as one types (report-search.js), the schematic map when opened (report-map.js), what is said and
   done when the phone's position cannot be had or is far from every segment (report-place.js), and the reports
   kept on the phone without a connection (offline-queue.js + report-queue.js) when the page is offline, a
   submit fails for the network, or reports are waiting on the phone, the 产权 / 门前四包 block
   (responsibility.js) when a category that has one is picked, and the same category's open problems nearby
   (report-dup.js, 疑似重复) when any is. Their URLs are the form's data-js-* attributes
   (the service worker keeps them for offline use). Without this file the forms still work. */
(function () {
  "use strict";
  var MAX_SIDE = 1600, QUALITY = 0.82, OFFLINE = "网络连接失败，请检查网络后重试（不会重复上报）。";
  document.documentElement.classList.add("js");
  function make(tag) { return document.createElement(tag); }

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
      try { meta = file.meta || readExif(buf); } catch (e) { meta = {}; }  // .meta: a kept report put back (report-queue.js)
      return createImageBitmap(file, { imageOrientation: "from-image" });
    }).then(function (bmp) {
      var k = Math.min(1, MAX_SIDE / Math.max(bmp.width, bmp.height));
      if (k === 1 && file.size < 1500000 && file.type === "image/jpeg") { bmp.close(); return { blob: file, meta: meta }; }
      var c = make("canvas");
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
      x.setRequestHeader("X-Requested-With", "XMLHttpRequest");  // the server answers JSON
      x.responseType = "json";  // null when it is not (a login page, a proxy's error page)
      x.upload.onprogress = function (e) { if (e.lengthComputable) progress(e.loaded / e.total); };
      x.onload = function () {
        var body = x.response;
        if (body && body.redirect) return ok(body.redirect);
        var e = new Error(body && body.error ? body.error.message
          : /\/login/.test(x.responseURL || "") ? "登录已过期，请重新登录后再提交。"
          : "提交失败（" + x.status + "），请稍后重试。");
        // 502-504: the server is away (restarting; its database or disk): kept on the phone like no network, and why
        e.network = x.status > 501 && x.status < 505 && e.message;
        fail(e);
      };
      x.onerror = x.ontimeout = function () {
        var e = new Error(OFFLINE);
        e.network = true;
        fail(e);
      };
      x.send(data);
    });
  }


  // --- parts loaded on use: each registers itself in window.ReportParts when its script has run -----------
  var parts = window.ReportParts = window.ReportParts || {}, loading = {};
  parts.photo = [scale, send];  // the check-in page's photo goes the same way (patrol.js; a pair: the filing page's
                                // scripts are held within 10 KB, tests/test_web_pages.py)
  function script(url) {
    return new Promise(function (ok, fail) {
      var s = make("script");
      s.src = url;
      s.onload = ok;
      s.onerror = function () { s.remove(); fail(); };
      document.head.append(s);
    });
  }
  function part(form, name) {  // search, map, place, queue or resp: the form's data-js-<name> (one or more URLs)
    return parts[name] ? Promise.resolve(parts[name])
      : loading[name] || (loading[name] = Promise.all(form.getAttribute("data-js-" + name).split(" ").map(script))
        .then(function () { delete loading[name]; return parts[name]; },
              function (e) { delete loading[name]; throw e; }));  // tried again at the next use
  }
  function waiting(then) {  // then(), when reports are kept on this phone (offline-queue.js's database; none: not made)
    var r = indexedDB.open("inspect-offline");
    r.onupgradeneeded = function () { r.transaction.abort(); };
    r.onsuccess = function () {
      try { r.result.transaction("outbox").objectStore("outbox").count().onsuccess = function (e) { if (e.target.result) then(); }; }
      catch (e) { /* no outbox */ }
      r.result.close();  // once the count is done
    };
  }

  // --- reports kept on this phone (report-queue.js): loaded when offline, or some are waiting ---------------
  function offlineQueue(form) {
    if (!form.getAttribute("data-js-queue") || !window.indexedDB || !document.querySelector(".queue")) return null;
    var ready = null;
    function load() {
      return ready || (ready = part(form, "queue").then(function (start) { return start(form); },
                                                          function (e) { ready = null; throw e; }));
    }
    function check() { if (!navigator.onLine) load().catch(Boolean); }
    window.addEventListener("offline", check);
    check();
    waiting(function () { load().catch(Boolean); });
    return function keep(data, why) {
      return load().then(function (q) { return q.keep(data, why); }, function () { throw new Error(OFFLINE); });
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
    form.addEventListener("report:reset", function () { items = []; previews.textContent = ""; });  // kept: a fresh form

    input.addEventListener("change", function () {
      var max = input.dataset.max, files = [].slice.call(input.files, 0, max - items.length);  // the server's (macros.html)
      fail(input.files.length > files.length ? "照片最多" + max + "张。" : "");  // a photo chosen: "no photo" is gone
      input.value = "";
      files.forEach(function (file) {
        var item = { name: file.name || "photo.jpg", ready: null };
        var fig = make("figure"), cap = make("figcaption"),
            rm = make("button");
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
      function keep(why) {  // no connection (or the server away: why): kept on the phone (report-queue.js resets the form and says so)
        return queue(data, why).then(function () { busy = false; button.disabled = false; prog.hidden = true; return null; });
      }
      Promise.all(items.map(function (i) { return i.ready; })).then(function (results) {
        data = new FormData(form);
        data.delete("photos");
        results.forEach(function (r, n) {
          data.append("photos", r.blob, r.scaled ? "photo" + (n + 1) + ".jpg" : items[n].name);
        });
        data.set("photo_meta", JSON.stringify(results.map(function (r) { return r.meta; })));
        if (queue && !navigator.onLine) return keep();
        prog.hidden = false; prog.value = 0;
        say("正在上传…");
        return send(form.action, data, function (f) { prog.value = f; say("正在上传 " + Math.round(f * 100) + "%"); })
          .catch(function (e) { if (queue && e.network) return keep(e.network); throw e; });
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

  // --- filing page: the nearest segments at the top of the list, a warning when far from all of them. ------
  // `list` is shared with report-search.js (the search as one types; it replaces `rebuild` with the whole
  // list's) and report-map.js (the schematic map), loaded at their first use.
  function segments(form) {
    var select = form.querySelector(".segment-select"), q = form.querySelector("#segment-q"),
        go = form.querySelector(".seg-go"), found = form.querySelector(".seg-found"), far = form.querySelector(".loc-far");
    if (!select) return null;
    var list = { form: form, select: select, first: select.options[0], q: q, found: found, far: far, group: group, distance: distance,
                 rebuild: rebuild, nearGroup: nearGroup, auto: auto };
    function auto(text) {  // what "no segment chosen" will do; kept aside while a frontage's segment decides
      if (select.options[0].dataset.auto != null) select.options[0].dataset.auto = text;
      else select.options[0].textContent = text;
    }
    function group(label, options) {
      var g = make("optgroup");
      g.label = label;
      options.forEach(function (o) { var e = make("option"); e.value = o.value; e.textContent = o.text; g.append(e); });
      return g;
    }
    function distance(m) { return m >= 1000 ? (m / 1000).toFixed(m >= 10000 ? 0 : 1) + "公里" : m + "米"; }
    function rebuild() {  // the nearest segments first (report-search.js, once loaded, rebuilds the whole list)
      var old = select.querySelector(".near"), g = nearGroup();
      if (old) old.remove();
      if (g) list.first.after(g);
    }
    function nearGroup() {
      var g = list.near && list.near.length && group(list.nearText, list.near.map(function (s) {
        return { value: s.id, text: s.name + "（" + s.district + " · " + s.unit_name + " · " + distance(s.distance_m) + "）" };
      }));
      if (g) g.className = "near";
      return g;
    }
    function search(term, now) {
      part(form, "search").then(function (run) { run(list, term, now); }, function () {
        found.textContent = "暂时无法搜索路段（可能没有网络）。";
      });
    }
    if (q) {
      q.addEventListener("input", function () { search(q.value); });
      q.addEventListener("keydown", function (e) {
        if (e.key === "Enter") { e.preventDefault(); search(q.value, true); select.focus(); }
      });
    }
    if (go) go.addEventListener("click", function (e) { e.preventDefault(); if (q) search(q.value, true); });
    list.locateAt = function (lat, lon, how) {
      return fetch(form.getAttribute("data-near") + "?lat=" + lat + "&lon=" + lon, {
        headers: { "X-Requested-With": "XMLHttpRequest" }
      }).then(function (r) { return r.ok ? r.json() : []; }).then(function (near) {
        var nearest = near[0];
        if (nearest && nearest.distance_m > +form.getAttribute("data-far")) {
          list.near = null;
          list.place({ far: nearest, how: how });  // the warning: report-place.js
        } else {
          far.hidden = true;
          list.near = near.slice(0, 5); list.nearText = "附近路段（" + how + "）";
          if (nearest && nearest.distance_m <= +form.getAttribute("data-radius")) list.auto("自动匹配最近路段（" + nearest.name + "）");
        }
        list.rebuild();
      }).catch(function () { /* offline: the list stays as it is */ });
    };
    list.clear = function () { list.results = list.last = null; found.textContent = ""; list.rebuild(); };  // no search
    form.addEventListener("report:reset", function () { list.near = null; far.hidden = true; list.clear(); });
    return list;
  }

  function locate(form, list) {
    var lat = form.elements.lat, lon = form.elements.lon, note = form.querySelector(".loc-status");
    if (!lat || !form.getAttribute("data-near")) return;
    var key = form.elements.idempotency_key;
    // 128 random bits as four numbers, fresh per page load, reused by every retry
    if (key) key.value = crypto.getRandomValues(new Uint32Array(4)).join("-");
    function place(e) { part(form, "place").then(function (run) { run(list, note, e); }, Boolean); }
    list.place = place;
    form.addEventListener("photo:position", function (e) { list.photo = e.detail; });  // report-place.js uses it
    if (!navigator.geolocation) return place({});
    note.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      lat.value = pos.coords.latitude.toFixed(6);
      lon.value = pos.coords.longitude.toFixed(6);
      note.textContent = "已定位（精度约" + Math.round(pos.coords.accuracy) + "米）";
      list.me = { lat: +lat.value, lon: +lon.value };  // the red dot on the map
      form.dispatchEvent(new CustomEvent("phone:position"));
      list.locateAt(lat.value, lon.value, "您的位置");
    }, place, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  // --- the schematic map (report-map.js): loaded, and then run, by the first tap on its button --------------
  function segmentMap(form, list) {
    var toggle = form.querySelector(".map-toggle");
    if (toggle) toggle.addEventListener("click", function open() {
      toggle.removeEventListener("click", open);
      part(form, "map").then(function (run) { run(list, toggle); }, function () {
        toggle.addEventListener("click", open);
        toggle.textContent = "地图载入失败，点此重试";
      });
    });
  }

  // --- when a category is picked: the 产权 / 门前四包 block (responsibility.js) for a category that has one, and the
  // same category's open problems nearby (report-dup.js, 疑似重复) ------------------------------------------------
  function byCategory(form) {
    function check() {  // the chosen category's block, if any (category codes are [A-Za-z0-9_.-]: safe in the selector)
      var code = (form.elements.category || {}).value;
      if (form.querySelector('[data-resp-for~="' + code + '"]')) part(form, "resp").catch(Boolean);
      if (code && form.dataset.jsDup) part(form, "dup").catch(Boolean);
    }
    form.addEventListener("change", check);
    check();
  }

  document.querySelectorAll("form.js-photos").forEach(function (form) {
    var list = segments(form);
    if (list) {
      locate(form, list);
      segmentMap(form, list);
    }
    byCategory(form);
    photoForm(form);
  });
})();
