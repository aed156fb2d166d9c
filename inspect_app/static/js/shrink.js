/* Photos scaled on the phone before a plain multipart form is posted (a 督办函's 书面回复, a 创建任务 report, a 约谈
   record): nine photos straight from a phone's camera could pass the upload limit, and the refused request took
   the typed text with it. Images only, by report.js's ReportParts.photo (load report.js first); PDFs and what the
   browser cannot decode go as they are. The form is then posted as the browser would have posted it. */
(function () {
  "use strict";
  var kit = (window.ReportParts || {}).photo;
  if (!kit || !window.DataTransfer || !window.File) return;

  function scaled(file) {
    if (!/^image\//.test(file.type)) return Promise.resolve(file);
    return kit[0](file).then(function (r) {
      return r.scaled ? new File([r.blob], file.name.replace(/\.[^.]*$/, "") + ".jpg", { type: "image/jpeg" }) : file;
    });
  }

  document.querySelectorAll("form.js-shrink").forEach(function (form) {
    var busy = false;
    form.addEventListener("submit", function (ev) {
      var inputs = [].filter.call(form.querySelectorAll("input[type=file]"), function (i) { return i.files.length; });
      if (!inputs.length) return;
      ev.preventDefault();
      if (busy) return;
      busy = true;
      var button = form.querySelector("button[type=submit]"), label = button && button.textContent;
      if (button) { button.disabled = true; button.textContent = "正在处理照片…"; }
      Promise.all(inputs.map(function (input) {
        return Promise.all([].map.call(input.files, scaled)).then(function (files) {
          var list = new DataTransfer();
          files.forEach(function (f) { list.items.add(f); });
          input.files = list.files;
        });
      })).then(function () {
        if (button) button.textContent = "正在提交…";
        form.submit();  // no submit event again
      }, function () {
        busy = false;
        if (button) { button.disabled = false; button.textContent = label; }
        form.submit();  // the photos as they were: the server judges them
      });
    });
  });
})();
