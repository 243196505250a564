// The import's progress page without waiting for its refresh: the bar and the count follow
// the job's progress (a JSON route), and the page reloads once the job is done. Without
// JavaScript the page's own refresh (every second, in <noscript>) does the same.
(function () {
  "use strict";
  var status = document.getElementById("import-progress");
  var bar = document.getElementById("import-bar");
  if (!status || !bar || !window.fetch) { return; }
  var address = status.getAttribute("data-progress");
  function poll() {
    fetch(address, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.json(); })
      .then(function (job) {
        if (job.state !== "queued" && job.state !== "running") {
          window.location.reload();
          return;
        }
        bar.max = job.total;
        bar.value = job.done;
        if (job.state === "running") { status.textContent = job.text; }
        window.setTimeout(poll, 700);
      })
      .catch(function () { window.setTimeout(function () { window.location.reload(); }, 2000); });
  }
  window.setTimeout(poll, 400);
})();
