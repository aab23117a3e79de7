// Progress of an import running in the background: poll its JSON, move the bar, and reload
// the page (which then shows the summary) once the job is no longer running. Loaded from
// /static because the Content-Security-Policy forbids inline scripts.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box) {
    return;
  }
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-progress-text]");

  function show(progress) {
    bar.max = progress.total || 1;
    bar.value = progress.done;
    bar.textContent = progress.percent + "%";
    text.textContent = progress.text;
  }

  function poll() {
    fetch(box.getAttribute("data-progress-url"), {
      credentials: "same-origin",
      headers: {"Accept": "application/json"}
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    }).then(function (progress) {
      show(progress);
      if (progress.state === "running") {
        window.setTimeout(poll, 1000);
      } else {
        window.location.reload();
      }
    }).catch(function () {
      // A restarting server or a dropped connection: try again a little later.
      window.setTimeout(poll, 5000);
    });
  }

  window.setTimeout(poll, 500);
})();
