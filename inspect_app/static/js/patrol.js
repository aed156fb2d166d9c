/* 巡查打卡: the phone's position -> the segments within reach (/patrols/near), the nearest picked; the form sends
   the position with the chosen segment and the server checks the distance again. A photo (打卡照片) is scaled on the
   phone first, as a report's is (report.js: ReportParts.photo), its camera time sent beside it, and uploaded with
   progress. Without a connection (the segments cannot load, the phone is offline, or the send fails for the
   network) the check-in is kept on the phone (offline-queue.js, kind "patrol") with the moment it was made
   (kept_at) and sent by itself once the connection returns; the server matches the nearest segment then. Without
   these scripts the form goes as it is. */
(function () {
  "use strict";
  var form = document.querySelector("form.patrol");
  if (!form) return;
  var note = form.querySelector(".loc-status"), list = form.querySelector(".patrol-segs");
  var again = form.querySelector(".relocate"), submit = form.querySelector("button[type=submit]");
  var Q = window.OfflineQueue && window.OfflineQueue.supported ? window.OfflineQueue : null;
  var user = form.getAttribute("data-user"), offline = false;  // offline: the segments could not be loaded

  function say(text) { note.textContent = text; }

  function tile(seg, checked) {
    var label = document.createElement("label"), input = document.createElement("input");
    var span = document.createElement("span"), small = document.createElement("small");
    label.className = "tile";
    input.type = "radio"; input.name = "segment_id"; input.value = seg.id; input.checked = checked;
    span.textContent = seg.name;
    small.textContent = seg.district + " · " + seg.unit_name + " · 约" + seg.distance_m + "米 · " +
      (seg.last ? "最近巡查 " + seg.last : "久未巡查");
    span.appendChild(small);
    label.appendChild(input); label.appendChild(span);
    return label;
  }

  function showNext(items) {  // where to walk next: the nearest segments nobody walked this week
    var box = document.querySelector(".patrol-next"), ul = box.querySelector("ul");
    ul.textContent = "";
    items.forEach(function (seg) {
      var li = document.createElement("li"), small = document.createElement("small");
      li.textContent = seg.name + " ";
      small.className = "muted";
      small.textContent = seg.district + " · 约" + seg.distance_m + "米";
      li.appendChild(small);
      ul.appendChild(li);
    });
    box.hidden = !items.length;
  }

  function show(data) {
    showNext(data.next || []);
    list.textContent = "";
    data.segments.forEach(function (seg, i) { list.appendChild(tile(seg, i === 0)); });
    submit.disabled = !data.segments.length;
    if (!data.segments.length) say("您的位置" + data.radius_m + "米内没有责任路段，不能打卡。");
  }

  function locate() {
    submit.disabled = true;
    again.hidden = true;
    if (!navigator.geolocation) { say("此浏览器不能定位，无法打卡。"); return; }
    say("正在定位…");
    navigator.geolocation.getCurrentPosition(function (pos) {
      var c = pos.coords;
      form.elements.lat.value = c.latitude.toFixed(6);
      form.elements.lon.value = c.longitude.toFixed(6);
      form.elements.accuracy.value = Math.round(c.accuracy);
      say("已定位（精度约" + Math.round(c.accuracy) + "米），请选择所在路段。");
      again.hidden = false;
      var url = form.getAttribute("data-near") + "?lat=" + form.elements.lat.value + "&lon=" + form.elements.lon.value;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (data) { offline = false; show(data); })
        .catch(function () {
          if (!Q) { say("附近路段未能载入（网络不通？），请点“重新定位”再试。"); return; }
          offline = true;
          list.textContent = "";
          submit.disabled = false;
          say("没有网络：可以先打卡，保存在手机上，联网后自动上传，按本次定位匹配最近的路段。");
        });
    }, function () {
      say("未获取到定位：请允许本页获取位置（手机须通过 HTTPS 地址访问），再点“重新定位”。");
      again.hidden = false;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  }

  var photo = form.elements.photo, error = form.querySelector(".patrol-error"), busy = false;
  var box = document.querySelector(".patrol-queue");
  function fail(text) { error.textContent = text; error.hidden = !text; if (text) error.scrollIntoView({ block: "center" }); }
  function hhmm(d) { return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2); }

  function keep(data, tapped) {  // -> Promise(null): kept on the phone, the form ready for the next check-in
    var fields = [["kept_at", tapped.toISOString()]], files = [];
    data.forEach(function (value, name) {
      if (typeof value === "string") fields.push([name, value]);
      else files.push([name, value, value.name || "photo.jpg"]);
    });
    return Q.add({ kind: "patrol", url: form.action, user: user, label: "巡查打卡 " + hhmm(tapped), fields: fields,
                   files: files }).then(function () {
      form.elements.note.value = "";
      if (photo) photo.value = "";
      note.textContent = "没有网络：本次打卡（" + hhmm(tapped) + "）已保存在手机上，恢复网络后自动上传。";
      return draw().then(function () { return null; });
    }, function (e) {
      throw new Error(e && e.name === "QuotaExceededError" ? "手机存储空间不足，本次打卡没能保存在手机上：请清理存储或连上网络后再打卡。"
        : "本次打卡没能保存在手机上（浏览器不允许保存）：请连上网络后再打卡。");
    });
  }

  function draw() {  // the check-ins (and reports) kept on this phone for this account
    if (!Q || !box) return Promise.resolve();
    return Q.list().then(function (records) {
      var mine = records.filter(function (r) { return String(r.user) === String(user); }), ul = box.querySelector("ul");
      box.querySelector(".queue-count").textContent = mine.length;
      box.hidden = !mine.length && !box.querySelector(".queue-done");
      ul.textContent = "";
      mine.forEach(function (r) {
        var li = document.createElement("li"), small = document.createElement("small");
        li.className = "queue-item";
        li.textContent = r.label + " ";
        small.className = r.status === "failed" ? "err" : "muted";
        small.textContent = r.status === "failed" ? "上传失败：" + r.error : (r.error || "等待上传");
        li.appendChild(small);
        if (r.status === "failed") {
          var rm = document.createElement("button");
          rm.type = "button"; rm.className = "btn small"; rm.textContent = "删除";
          rm.onclick = function () { Q.remove(r.id).then(draw); };
          li.appendChild(rm);
        }
        ul.appendChild(li);
      });
    });
  }

  function flush() {
    if (!Q || !navigator.onLine) return Promise.resolve();
    var sent = 0;
    return Q.flush(user, function () { sent += 1; }).then(function () {
      if (sent && box) {
        var done = box.querySelector(".queue-done") || document.createElement("p"), a = document.createElement("a");
        done.className = "queue-done alert success";
        done.setAttribute("role", "status");
        done.textContent = "已上传" + sent + "条保存在手机上的记录。";
        a.href = location.pathname; a.textContent = "刷新查看";
        done.appendChild(a);
        box.querySelector("ul").before(done);
      }
      return draw();
    });
  }

  form.addEventListener("submit", function (ev) {
    var file = photo && photo.files && photo.files[0], kit = (window.ReportParts || {}).photo, label = submit.textContent;
    if (!window.FormData || !kit || !(file || Q)) return;  // the form goes as it is
    ev.preventDefault();
    if (busy) return;
    busy = true; submit.disabled = true; fail("");
    var tapped = new Date();
    submit.textContent = file ? "正在处理照片…" : "正在打卡…";
    (file ? kit[0](file) : Promise.resolve(null)).then(function (r) {
      var data = new FormData(form);
      data.delete("photo");
      if (r) {
        data.append("photo", r.blob, r.scaled ? "photo.jpg" : file.name);
        data.set("photo_meta", JSON.stringify([r.meta]));
      }
      if (Q && (offline || !navigator.onLine)) return keep(data, tapped);
      return kit[1](form.action, data, function (f) { submit.textContent = "正在上传 " + Math.round(f * 100) + "%"; })
        .catch(function (e) { if (Q && e.network) return keep(data, tapped); throw e; });
    }).then(function (url) {
      if (url) { submit.textContent = "已打卡，正在刷新…"; location.assign(url); return; }
      busy = false; submit.disabled = false; submit.textContent = label;  // kept: ready for the next one
    }, function (e) {
      busy = false; submit.disabled = false; submit.textContent = label;
      fail(e.message || "打卡失败，请重试。");
    });
  });

  if (Q && box) {
    Q.onChange(draw);
    window.addEventListener("online", flush);
    box.querySelector(".queue-send").addEventListener("click", function () {
      if (!navigator.onLine) { note.textContent = "仍然没有网络，恢复后会自动上传。"; return; }
      flush();
    });
    setInterval(flush, 30000);
    draw().then(flush);
  }

  again.addEventListener("click", locate);
  // back online after the segments could not load: load them again (the "没有网络" line gives way to them)
  window.addEventListener("online", function () { if (offline && !busy) locate(); });
  locate();
})();
