/* The filing page's reports kept on this phone (loaded by report.js, with offline-queue.js, when the page is
   offline, a submit fails for the network, or reports are already waiting): the visible queue, sent by itself
   once the connection returns, and `keep`, which puts a report in it and gives a fresh form for the next one.
   A report the server refused (发送失败: say its category was retired meanwhile) can be deleted, or put back into
   the form (改后重发) with its photos and what they said of themselves (time, position), to be changed and sent
   again; it stays on the phone until the form is sent. */
(function (parts) {
  "use strict";
  parts.queue = function (form) {
    var Q = window.OfflineQueue, box = document.querySelector(".queue"), user = form.getAttribute("data-user");
    if (!Q || !Q.supported || !box) throw new Error("no offline queue");
    var listEl = box.querySelector(".queue-list"), count = box.querySelector(".queue-count"),
        note = box.querySelector(".queue-note"), banner = document.querySelector(".net-off");
    var KEPT = "没有网络：这条上报已保存在手机上，恢复网络后自动发送。可以继续上报下一条。",
        AWAY = "服务器暂时无法处理（正在重启或维护）：这条上报已保存在手机上，服务器恢复后自动发送。可以继续上报下一条。",
        said = null;
    function clearKept() {  // the form's "kept on the phone" line goes once the report is sent (or none is waiting)
      var status = form.querySelector(".status");
      if (status && status.textContent === said) status.textContent = "";
    }
    function when(t) {
      var d = new Date(t);
      return (d.getMonth() + 1) + "-" + d.getDate() + " " + ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
    }
    function draw() {
      return Q.list("report").then(function (records) {
        records = records.filter(function (r) { return String(r.user) === String(user); });
        box.hidden = !records.length && !box.querySelector(".queue-done");
        count.textContent = records.length;
        if (!records.some(function (r) { return r.status === "waiting"; })) clearKept();
        listEl.textContent = "";
        records.forEach(function (r) {
          var li = document.createElement("li"), text = document.createElement("span"), state = document.createElement("small");
          li.className = "queue-item " + r.status;
          text.textContent = r.label + " · " + when(r.created) + " · " + (r.files || []).length + "张照片";
          state.textContent = r.status === "failed" ? "发送失败：" + r.error : (r.error ? "等待发送：" + r.error : "等待发送");
          li.append(text, state);
          if (r.status === "failed") {
            var again = document.createElement("button");
            again.type = "button"; again.className = "btn"; again.textContent = "改后重发";
            again.setAttribute("aria-label", "把这条发送失败的上报放回表单，修改后重新提交");
            again.onclick = function () { restore(r); };
            li.append(again);
            var rm = document.createElement("button");
            rm.type = "button"; rm.className = "btn danger-outline"; rm.textContent = "删除";
            rm.setAttribute("aria-label", "删除这条发送失败的上报");
            rm.onclick = function () { if (confirm("删除后这条上报和照片都不能恢复，确定删除吗？")) Q.remove(r.id); };
            li.append(rm);
          }
          listEl.append(li);
        });
        return records;
      });
    }
    var editing = null;  // the id of the refused report put back into the form, removed once the form is sent
    function restore(r) {
      var desc = form.elements.description;
      if ((form.querySelector(".previews figure") || (desc && desc.value.trim())) &&
          !confirm("表单中已填写的内容将被这条上报替换，继续吗？")) return;
      form.reset();
      form.dispatchEvent(new CustomEvent("report:reset"));
      if (form.elements.idempotency_key) form.elements.idempotency_key.value = newKey();  // a new report to the server
      var values = {}, meta = [], photos = new DataTransfer(), input = form.querySelector(".photo-input");
      r.fields.forEach(function (f) { (values[f[0]] = values[f[0]] || []).push(f[1]); });
      try { meta = JSON.parse((values.photo_meta || ["[]"])[0]); } catch (e) { meta = []; }
      Array.prototype.forEach.call(form.elements, function (el) {
        var kept = values[el.name];
        if (!kept || el.type === "file" || el.name === "csrf_token" || el.name === "idempotency_key") return;
        if (el.type === "checkbox" || el.type === "radio") el.checked = kept.indexOf(el.value) >= 0;
        else el.value = kept[0];
        if (el.checked !== false) el.dispatchEvent(new Event("change", { bubbles: true }));
      });
      (r.files || []).forEach(function (f, n) {
        var file = new File([f[1]], f[2], { type: f[1].type || "image/jpeg" });
        file.meta = meta[n] || {};  // scaled on the phone before it was kept: its EXIF is in photo_meta, not in it
        photos.items.add(file);
      });
      input.files = photos.files;
      input.dispatchEvent(new Event("change"));
      editing = r.id;
      form.querySelector(".status").textContent = "已放回表单：请修改后提交。提交前，这条上报仍保存在手机上。";
      form.scrollIntoView({ block: "start" });
    }
    // Before report.js's handler, when it will send: from here the report is the form's, as any being filed (sent,
    // kept anew when offline, or refused with the form still filled in), and no longer the queue's.
    form.addEventListener("submit", function () {
      var category = form.elements.category;
      if (editing && form.querySelector(".previews figure") && !(category && !category.value)) {
        Q.remove(editing);
        editing = null;
      }
    }, true);
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
        clearKept();
      }).then(draw);
    }
    function online() { if (banner) banner.hidden = navigator.onLine; if (navigator.onLine) flush(); }
    function label() {
      var c = form.querySelector("input[name=category]:checked"), s = form.elements.segment_id, a = form.elements.address;
      var name = c ? c.closest("label").querySelector("span").firstChild.textContent.trim() : "上报";
      var place = (a && a.value.trim()) || (s && s.value && s.selectedOptions[0] ? s.selectedOptions[0].textContent.replace(/（.*$/, "") : "");
      return place ? name + " · " + place : name;
    }
    function newKey() {
      return Array.prototype.map.call(crypto.getRandomValues(new Uint8Array(16)), function (b) {
        return (b + 256).toString(16).slice(1);
      }).join("");
    }
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
      // -> Promise: kept, the form fresh for the next report (report:reset), and said so. `why`: the server's words
      // when it answered 502-504 (away: restarting, its database or disk; its words show in the queue's list once
      // a resend meets the same), else no connection.
      keep: function (data, why) {
        var fields = [], files = [], what = label();
        data.forEach(function (value, name) {
          if (typeof value === "string") fields.push([name, value]);
          else files.push([name, value, value.name || "photo.jpg"]);
        });
        return Q.add({ kind: "report", url: form.action, user: user, label: what, fields: fields, files: files }).catch(function (e) {
          // the phone's storage is full (or the browser keeps nothing: some private modes): the report stays in the form
          throw new Error(e && e.name === "QuotaExceededError"
            ? "手机存储空间不足，这条上报没能保存在手机上。照片仍在表单中：请清理手机存储后再提交，或连上网络后提交。"
            : "这条上报没能保存在手机上（浏览器不允许保存）。照片仍在表单中：请连上网络后再提交。");
        }).then(function () {
          form.reset();
          if (form.elements.idempotency_key) form.elements.idempotency_key.value = newKey();
          form.dispatchEvent(new CustomEvent("report:reset"));
          form.querySelector(".status").textContent = said = why ? AWAY : KEPT;
          box.scrollIntoView({ block: "start" });
        });
      }
    };
  };
})(window.ReportParts = window.ReportParts || {});
