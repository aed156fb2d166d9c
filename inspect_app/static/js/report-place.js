/* The filing page when the phone's own position does not settle the segment (loaded by report.js then): the
   position could not be had (refused, unavailable: said, and a photo's EXIF position is used instead), or it
   is far from every segment (a wrong fix, or out of town: a warning, and no automatic choice). */
(function (parts) {
  "use strict";
  var lists = [];
  function byPhoto(list, note) {  // the photo's position, while the phone has none
    var lat = list.form.elements.lat;
    function use(where) {
      if (lat.value || !where) return;
      note.textContent = "未获取手机定位：按照片中的拍摄位置查找路段。";
      list.locateAt(where.lat.toFixed(6), where.lon.toFixed(6), "照片拍摄位置");
    }
    list.form.addEventListener("photo:position", function (e) { use(e.detail); });
    use(list.photo);  // a photo chosen before the phone gave up
  }
  parts.place = function (list, note, e) {
    if (e.far) {
      list.far.hidden = false;
      list.far.textContent = e.how + "距最近的责任路段（" + e.far.name + "）约" + list.distance(e.far.distance_m) +
        "，可能定位有误或不在本市范围。请搜索或在地图上选择路段，或填写地址。";
      list.auto("不自动匹配（请选择路段）");
      list.rebuild();
      return;
    }
    note.textContent = e.code === 1 ? "未允许定位：请搜索或在地图上选择路段，或在浏览器设置中允许定位。"
      : e.code ? "暂时无法定位：请搜索或在地图上选择路段；不选则按照片中的位置匹配。" : note.textContent;
    if (lists.indexOf(list) < 0) { lists.push(list); byPhoto(list, note); }
  };
})(window.ReportParts = window.ReportParts || {});
