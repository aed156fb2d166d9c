/* The public 随手拍 page: the phone's position, when the citizen allows it, fills lat/lon (the photos and the
   upload are report.js's). Without it the citizen types the place. */
(function () {
  "use strict";
  var form = document.querySelector("form.citizen");
  if (!form || !navigator.geolocation) return;
  var note = form.querySelector("[data-locate]"), lat = form.elements.lat, lon = form.elements.lon;
  note.textContent = "正在获取位置…";
  navigator.geolocation.getCurrentPosition(function (pos) {
    lat.value = pos.coords.latitude.toFixed(6);
    lon.value = pos.coords.longitude.toFixed(6);
    note.textContent = "已获取位置（精度约" + Math.round(pos.coords.accuracy) + "米），也可补充地点描述。";
  }, function () {
    note.textContent = "未获取到位置：请填写问题地点。";
  }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
})();
