/* Photo forms (filing, rectifying): read EXIF, scale to <=1600 px upright JPEG, upload with progress.
   Filing page: geolocation -> lat/lon and nearest segments. Without this file the forms still work. */
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
      x.onerror = x.ontimeout = function () { fail(new Error("网络连接失败，请检查网络后重试（不会重复上报）。")); };
      x.send(data);
    });
  }

  function photoForm(form) {
    var input = form.querySelector(".photo-input"), previews = form.querySelector(".previews"),
        errBox = form.querySelector(".js-error"), prog = form.querySelector(".prog"),
        status = form.querySelector(".status"), button = form.querySelector("button[type=submit]"),
        items = [], busy = false;
    if (!input || !window.FormData || !window.createImageBitmap) return;
    input.required = false;  // the photos live in `items`, the input is emptied after each pick
    function say(text) { status.textContent = text || ""; }
    function fail(text) { errBox.textContent = text; errBox.hidden = !text; if (text) errBox.scrollIntoView({ block: "center" }); }

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
          return r;
        });
      });
    });

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (busy) return;
      if (!items.length) { fail("请至少拍摄或选择一张照片。"); return; }
      busy = true; button.disabled = true; fail("");
      say("正在处理照片…");
      Promise.all(items.map(function (i) { return i.ready; })).then(function (results) {
        var data = new FormData(form);
        data.delete("photos");
        results.forEach(function (r, n) {
          data.append("photos", r.blob, r.scaled ? "photo" + (n + 1) + ".jpg" : items[n].name);
        });
        data.set("photo_meta", JSON.stringify(results.map(function (r) { return r.meta; })));
        prog.hidden = false; prog.value = 0;
        say("正在上传…");
        return send(form.action, data, function (f) { prog.value = f; say("正在上传 " + Math.round(f * 100) + "%"); });
      }).then(function (url) {
        say("提交成功，正在跳转…");
        location.assign(url);
      }, function (e) {
        busy = false; button.disabled = false; prog.hidden = true; say("");
        fail(e.message || "提交失败，请重试。");
      });
    });
  }

  // --- filing page: where am I, and which segments are near --------------------------------------------
  function locate(form) {
    var lat = form.elements.lat, lon = form.elements.lon, select = form.elements.segment_id,
        note = form.querySelector(".loc-status"), url = form.getAttribute("data-near");
    if (!lat || !url) return;
    var key = form.elements.idempotency_key;
    if (key && window.crypto && crypto.getRandomValues) {  // fresh per page load, reused by every retry
      key.value = Array.prototype.map.call(crypto.getRandomValues(new Uint8Array(16)), function (b) {
        return (b + 256).toString(16).slice(1);
      }).join("");
    }
    if (!navigator.geolocation) return;
    note.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      lat.value = pos.coords.latitude.toFixed(6);
      lon.value = pos.coords.longitude.toFixed(6);
      note.textContent = "已定位（精度约" + Math.round(pos.coords.accuracy) + "米）";
      fetch(url + "?lat=" + lat.value + "&lon=" + lon.value, {
        headers: { "X-Requested-With": "XMLHttpRequest" }, credentials: "same-origin"
      }).then(function (r) { return r.ok ? r.json() : []; }).then(function (list) {
        list.forEach(function (s) {
          var o = document.createElement("option");
          o.value = s.id;
          o.textContent = s.name + "（" + s.district + " · " + s.unit_name + " · " + s.distance_m + "米）";
          select.append(o);
        });
        if (list.length && list[0].distance_m <= +form.getAttribute("data-radius")) select.options[0].textContent = "自动匹配最近路段（" + list[0].name + "）";
      }).catch(function () {});
    }, function (e) {
      note.textContent = e.code === 1 ? "未允许定位：请在浏览器设置中允许定位，或填写地址。"
        : "暂时无法定位：将按照片中的位置匹配路段，或填写地址。";
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form.js-photos"), function (form) {
    locate(form);
    photoForm(form);
  });
})();
