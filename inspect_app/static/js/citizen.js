/* The public 随手拍 page: the phone's position, when the citizen allows it, fills lat/lon (the photos and the
   upload are report.js's). Without it the citizen types the place, or a photo's own position stands for it:
   asked here before the photos are sent, not learnt from the server after the upload. */
(function () {
  "use strict";
  var form = document.querySelector("form.citizen");
  if (!form) return;
  var note = form.querySelector("[data-locate]"), lat = form.elements.lat, lon = form.elements.lon,
      input = form.querySelector(".photo-input"), photoPlace = false;

  form.addEventListener("photo:position", function () { photoPlace = true; });  // report.js read a photo's GPS
  // before report.js's own submit (a listener on the document's way down): only where it took the form over (the
  // input no longer required), once a photo is picked and every one is read (a place may yet come from one)
  document.addEventListener("submit", function (ev) {
    var box = form.querySelector(".js-error"), previews = form.querySelector(".previews");
    if (ev.target !== form || !input || input.required || lat.value || photoPlace || form.elements.address.value.trim()
        || !previews.querySelector("figure") || /处理中/.test(previews.textContent)) return;
    ev.preventDefault();
    ev.stopPropagation();
    box.textContent = "请填写问题地点（如 人民路88号门前），或允许手机定位。";
    box.hidden = false;
    form.elements.address.focus();
  }, true);

  if (!navigator.geolocation) return;
  note.textContent = "正在获取位置…";
  navigator.geolocation.getCurrentPosition(function (pos) {
    lat.value = pos.coords.latitude.toFixed(6);
    lon.value = pos.coords.longitude.toFixed(6);
    note.textContent = "已获取位置（精度约" + Math.round(pos.coords.accuracy) + "米），也可补充地点描述。";
  }, function () {
    note.textContent = "未获取到位置：请填写问题地点。";
  }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
})();
