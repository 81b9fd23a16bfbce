/* The problem page: live "interpreted as" previews, submit without reloading,
   a progress state while the worker grades, then per-step feedback on the
   table and the graph. Without JavaScript the form still posts and the server
   renders the same feedback. Untrusted text is only ever set with textContent. */
(function () {
  "use strict";

  var form = document.getElementById("answer-form");
  if (!form) { return; }
  var POLL_MS = 500;
  var DEBOUNCE_MS = 300;
  var STATUS = {
    correct: ["✓", "correct"],
    carried: ["↪", "carried forward"],
    incorrect: ["✗", "incorrect"],
    invalid: ["?", "could not be read"],
    missing: ["–", "missing"]
  };
  var WORST_FIRST = ["incorrect", "invalid", "missing", "carried", "correct"];
  var csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var progress = document.getElementById("progress");
  var submitButton = document.getElementById("submit-button");
  var formErrors = document.getElementById("form-errors");

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  /* --- Live preview ------------------------------------------------------ */

  function showPreview(output, data) {
    output.textContent = "";
    output.classList.toggle("preview-invalid", !data.ok);
    if (data.ok && data.latex) {
      var math = element("span", "preview-math");
      output.appendChild(math);
      window.tracegradeMath.render(data.latex, math, false);
    } else if (data.message) {
      var text = data.ok ? data.message : "⚠ " + data.message;
      if (!data.ok && data.column) { text += " (column " + data.column + ")"; }
      output.appendChild(element("span", "preview-message", text));
    }
  }

  function attachPreview(input) {
    var output = document.getElementById(input.id + "-preview");
    var timer = null;
    var sequence = 0;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      if (!input.value.trim()) {  // nothing to read: no request, no warning
        sequence++;
        showPreview(output, { ok: true, message: "Empty: this cell will count as missing." });
        return;
      }
      timer = setTimeout(function () {
        var mine = ++sequence;
        fetch(form.dataset.validateUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
          body: JSON.stringify({ step_id: input.name, text: input.value })
        }).then(function (response) { return response.json(); })
          .then(function (data) { if (mine === sequence) { showPreview(output, data); } })
          .catch(function () {
            if (mine === sequence) {
              showPreview(output, { ok: false, message: "Preview unavailable (network problem); you can still submit." });
            }
          });
      }, DEBOUNCE_MS);
    });
    if (input.value) { input.dispatchEvent(new Event("input")); }
  }

  if (form.dataset.kind !== "choice") {
    form.querySelectorAll(".answer-input").forEach(attachPreview);
  }

  /* --- Feedback ------------------------------------------------------------ */

  function setStatusClass(node, status) {
    WORST_FIRST.forEach(function (s) { node.classList.remove("status-" + s); });
    if (status) { node.classList.add("status-" + status); }
  }

  function fillFeedbackCell(cell, step) {
    cell.textContent = "";
    if (!step) { return; }
    var marker = STATUS[step.status] || ["", step.status];
    cell.appendChild(element("span", "status-badge status-" + step.status, marker[0] + " " + marker[1]));
    cell.appendChild(document.createTextNode(" "));
    cell.appendChild(element("span", "message", step.message));
    if (step.expected) {
      var expected = element("span", "expected", "Answer: ");
      expected.appendChild(element("code", null, step.expected));
      cell.appendChild(document.createTextNode(" "));
      cell.appendChild(expected);
    }
  }

  function worst(statuses) {
    for (var i = 0; i < WORST_FIRST.length; i++) {
      if (statuses.indexOf(WORST_FIRST[i]) !== -1) { return WORST_FIRST[i]; }
    }
    return null;
  }

  function colourGraph(byId) {
    document.querySelectorAll("#graph [data-steps]").forEach(function (group) {
      var steps = group.getAttribute("data-steps").split(" ").filter(Boolean);
      var status = worst(steps.map(function (id) { return byId[id] && byId[id].status; }));
      setStatusClass(group, status);
      var marker = group.querySelector(".marker");
      if (marker) { marker.textContent = status ? STATUS[status][0] : ""; }
      var title = group.querySelector(":scope > title");
      if (status && !title) {
        title = document.createElementNS("http://www.w3.org/2000/svg", "title");
        group.appendChild(title);
      }
      if (title) { title.textContent = status ? STATUS[status][1] : ""; }
    });
  }

  function counts(steps) {
    var tally = {};
    steps.forEach(function (step) { tally[step.status] = (tally[step.status] || 0) + 1; });
    return WORST_FIRST.slice().reverse().filter(function (s) { return tally[s]; })
      .map(function (s) { return tally[s] + " " + STATUS[s][1]; }).join(", ");
  }

  function percent(score) { return Math.round(score * 100) + "%"; }

  function showSummary(payload) {
    var body = document.getElementById("feedback-body");
    body.textContent = "";
    if (payload.outcome === "error") {
      body.appendChild(element("p", "error", payload.message));
    } else if (!payload.counted) {
      body.appendChild(element("p", "score", "Not graded: this submission does not count as an attempt."));
      if (payload.message) { body.appendChild(element("p", null, payload.message)); }
    } else {
      var score = element("p", "score", "Attempt " + payload.attempt + ": score ");
      score.appendChild(element("strong", null, percent(payload.score || 0)));
      score.appendChild(document.createTextNode(". " + counts(payload.steps) + "."));
      body.appendChild(score);
      if (payload.message) { body.appendChild(element("p", null, payload.message)); }
      if (payload.outcome === "graded" && document.getElementById("graph")) {
        var more = element("p");
        var replayLink = element("a", null, "Replay the backward pass with your numbers");
        var quizSlug = form.getAttribute("data-quiz");
        replayLink.href = "?submission=" + encodeURIComponent(payload.id) +
          (quizSlug ? "&quiz=" + encodeURIComponent(quizSlug) : "") + "#replay";
        more.appendChild(replayLink);
        body.appendChild(more);
      }
    }
    document.getElementById("attempts-left").textContent = "Attempts left: " +
      (payload.attempts_left === null ? "unlimited" : payload.attempts_left);
    var history = document.getElementById("history");
    history.textContent = "";
    payload.history.forEach(function (entry) {
      var item = element("li");
      var link = element("a", null, entry.counted ? "Attempt " + entry.attempt : "Unreadable submission");
      var quiz = form.getAttribute("data-quiz");
      link.href = "?submission=" + encodeURIComponent(entry.id) +
        (quiz ? "&quiz=" + encodeURIComponent(quiz) : "");
      item.appendChild(link);
      item.appendChild(document.createTextNode(": " + entry.status +
        (entry.score === null ? "" : ", " + percent(entry.score))));
      history.appendChild(item);
    });
  }

  function applyFeedback(payload) {
    var byId = {};
    payload.steps.forEach(function (step) { byId[step.id] = step; });
    document.querySelectorAll("[data-step-id]").forEach(function (row) {
      var step = byId[row.getAttribute("data-step-id")];
      setStatusClass(row, step && step.status);
      var cell = row.querySelector(".feedback-cell");
      if (cell) { fillFeedbackCell(cell, step); }
    });
    colourGraph(byId);
    markChoiceAnswer(byId.answer);
    showSummary(payload);
  }

  /* A revealed choice answer ("a, c") marks its options, as the page does. */
  function markChoiceAnswer(step) {
    var right = step && step.expected ? step.expected.split(",").map(function (k) { return k.trim(); }) : [];
    document.querySelectorAll(".choice-option").forEach(function (option) {
      var input = option.querySelector("input");
      var label = option.querySelector("label");
      var old = label.querySelector(".option-answer");
      if (old) { label.removeChild(old); }
      var isRight = right.indexOf(input.value) !== -1;
      option.classList.toggle("correct-option", isRight);
      if (isRight) { label.appendChild(element("strong", "option-answer", "(the answer)")); }
    });
  }

  /* --- Submit and poll ---------------------------------------------------------- */

  function setBusy(busy, text) {
    submitButton.disabled = busy;
    form.setAttribute("aria-busy", busy ? "true" : "false");
    progress.textContent = text || "";
    progress.classList.toggle("working", busy);
  }

  function showErrors(messages) {
    formErrors.textContent = "";
    if (!messages.length) { return; }
    var list = element("ul");
    messages.forEach(function (m) { list.appendChild(element("li", null, m)); });
    formErrors.appendChild(list);
  }

  function poll(payload) {
    if (payload.done) {
      setBusy(false, payload.outcome === "error" ? "Grading failed." : "Graded.");
      applyFeedback(payload);
      if (payload.attempts_left === 0) {
        submitButton.disabled = true;
        submitButton.textContent = "No attempts left";
      }
      return;
    }
    setBusy(true, "Attempt " + payload.attempt + " is " + payload.status + "…");
    setTimeout(function () {
      fetch(payload.status_url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error("status " + response.status); }
          return response.json();
        })
        .then(poll)
        .catch(function () {
          setBusy(true, "Lost contact with the server; still trying…");
          setTimeout(function () { poll(payload); }, POLL_MS * 4);
        });
    }, POLL_MS);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    showErrors([]);
    setBusy(true, "Sending your answers…");
    fetch(window.location.pathname + window.location.search, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken },
      body: new FormData(form)
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (reply) {
      if (reply.status !== 202) {
        setBusy(false, "");
        showErrors(reply.data.errors || ["The answers could not be submitted."]);
        return;
      }
      form.querySelector("input[name=idempotency_key]").value = reply.data.next_idempotency_key;
      poll(reply.data);
    }).catch(function () {
      setBusy(false, "");
      showErrors(["Could not reach the server. Your answers are still here; try again in a moment."]);
    });
  });

  /* A submission still being graded when the page loaded: keep watching it. */
  var initial = JSON.parse(document.getElementById("submission-payload").textContent);
  if (initial && !initial.done) { poll(initial); }
})();
