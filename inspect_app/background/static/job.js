// 后台任务 page: poll the job's state and update the progress bar; reload once it has finished, so the page
// shows the download (or the error) as the server renders it. Without JavaScript the page refreshes itself.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("job-progress");
  var percent = document.getElementById("job-percent");
  var count = document.getElementById("job-count");
  var badge = document.getElementById("job-status");
  var labels = { queued: "排队中", running: "进行中", done: "已完成", failed: "失败" };
  var delay = 1000;

  function number(n) { return Number(n || 0).toLocaleString("zh-CN"); }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.json(); })
      .then(function (body) {
        var job = body.job;
        if (job.status === "done" || job.status === "failed") { window.location.reload(); return; }
        bar.value = job.progress;
        bar.textContent = job.progress + "%";
        percent.textContent = job.progress + "%";
        badge.textContent = labels[job.status] || job.status;
        badge.className = "job-badge " + job.status;
        if (job.total) { count.textContent = "已处理 " + number(job.done) + " / " + number(job.total) + " 行"; }
        delay = Math.min(delay * 1.2, 5000);
        window.setTimeout(poll, delay);
      })
      .catch(function () { delay = Math.min(delay * 2, 15000); window.setTimeout(poll, delay); });
  }
  window.setTimeout(poll, delay);
}());
