// Live progress of a desk batch (templates/desk/batch_job.html): polls the job's small JSON route and updates
// the <progress> bar, the icon and the status line (role=status: screen readers announce it politely). The
// status texts come translated in the section's data-text-<state> attributes, with {name} for the counts.
// When the batch ends, the download (or the link to why it stopped) is shown. Without JavaScript the page's
// Refresh link does the same job by hand.
(function () {
  "use strict";
  var POLL_MS = 700;
  var job = document.getElementById("job");
  if (!job || job.hasAttribute("data-final")) {
    return;
  }
  var url = job.getAttribute("data-progress-url");
  var bar = document.getElementById("job-progress");
  var status = document.getElementById("job-status");
  var icon = document.getElementById("job-icon");
  var refresh = document.getElementById("job-refresh");
  if (refresh) {
    refresh.parentNode.hidden = true; // the page keeps itself up to date
  }

  function fill(text, view) {
    var values = Object.assign({}, view.summary || {}, view);
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function show(view) {
    bar.max = Math.max(view.total, 1);
    bar.value = view.state === "done" ? view.total : view.done;
    bar.textContent = view.percent + "%";
    var text = job.getAttribute("data-text-" + view.state);
    if (text) {
      text = fill(text, view);
      if (status.textContent !== text) {
        status.textContent = text;
      }
    }
    icon.textContent = icon.getAttribute("data-icon-" + view.state) || "";
    job.setAttribute("data-state", view.state);
    job.className = job.className.replace(/\bjob-\w+\b/, "job-" + view.state);
    if (view.state === "done" && view.hasResult) {
      document.getElementById("job-download").hidden = false;
    }
    if (view.state === "failed") {
      document.getElementById("job-stopped").hidden = false;
    }
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok || (response.headers.get("Content-Type") || "").indexOf("application/json") !== 0) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (view) {
        show(view);
        if (!view.final) {
          window.setTimeout(poll, POLL_MS);
        }
      })
      .catch(function () {
        // The node is restarting or the session ended: try again more slowly, and offer the link meanwhile.
        if (refresh) {
          refresh.parentNode.hidden = false;
        }
        window.setTimeout(poll, POLL_MS * 5);
      });
  }

  window.setTimeout(poll, POLL_MS);
}());
