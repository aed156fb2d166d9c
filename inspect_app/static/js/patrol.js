/* 巡查打卡: the phone's position -> the segments within reach (/patrols/near), the nearest picked; the form sends
   the position with the chosen segment and the server checks the distance again. A photo (打卡照片) is scaled on the
   phone first, as a report's is (report.js: inspectPhotos), its camera time sent beside it, and uploaded with
   progress; without report.js, or without a photo, the form goes as it is. */
(function () {
  "use strict";
  var form = document.querySelector("form.patrol");
  if (!form) return;
  var note = form.querySelector(".loc-status"), list = form.querySelector(".patrol-segs");
  var again = form.querySelector(".relocate"), submit = form.querySelector("button[type=submit]");

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
        .then(show)
        .catch(function () { say("附近路段未能载入（网络不通？），请点“重新定位”再试。"); });
    }, function () {
      say("未获取到定位：请允许本页获取位置（手机须通过 HTTPS 地址访问），再点“重新定位”。");
      again.hidden = false;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  }

  var photo = form.elements.photo, error = form.querySelector(".patrol-error"), busy = false;
  function fail(text) { error.textContent = text; error.hidden = !text; if (text) error.scrollIntoView({ block: "center" }); }
  form.addEventListener("submit", function (ev) {
    var file = photo && photo.files && photo.files[0], lib = window.inspectPhotos, label = submit.textContent;
    if (!file || !lib || !window.FormData || !window.createImageBitmap) return;
    ev.preventDefault();
    if (busy) return;
    busy = true; submit.disabled = true; fail("");
    submit.textContent = "正在处理照片…";
    lib.scale(file).then(function (r) {
      var data = new FormData(form);
      data.delete("photo");
      data.append("photo", r.blob, r.scaled ? "photo.jpg" : file.name);
      data.set("photo_meta", JSON.stringify([r.meta]));
      return lib.send(form.action, data, function (f) { submit.textContent = "正在上传 " + Math.round(f * 100) + "%"; });
    }).then(function (url) {
      submit.textContent = "已打卡，正在刷新…";
      location.assign(url);
    }, function (e) {
      busy = false; submit.disabled = false; submit.textContent = label;
      fail(e.message || "打卡失败，请重试。");
    });
  });

  again.addEventListener("click", locate);
  locate();
})();
