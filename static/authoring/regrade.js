// Poll a regrade batch's counts until every submission is graded again.
(function () {
  "use strict";
  const root = document.querySelector("[data-poll-url]");
  if (!root) return;
  const status = document.getElementById("regrade-progress");
  const bar = document.getElementById("regrade-bar");

  function describe(p) {
    const error = p.error ? `, ${p.error} error` : "";
    if (p.done) return `Done: ${p.graded} of ${p.total} graded${error}.`;
    return `Regrading: ${p.graded} of ${p.total} graded, ${p.queued} queued, ` +
      `${p.grading} grading${error}.`;
  }

  function poll() {
    fetch(root.dataset.pollUrl, { headers: { Accept: "application/json" } })
      .then((response) => response.json())
      .then((p) => {
        status.textContent = describe(p);
        bar.max = p.total;
        bar.value = p.graded + p.error;
        if (!p.done) window.setTimeout(poll, 1000);
      })
      .catch(() => window.setTimeout(poll, 3000));
  }
  poll();
})();
