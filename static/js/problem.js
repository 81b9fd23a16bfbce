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

  form.querySelectorAll(".answer-input").forEach(attachPreview);  // typed cells only

  /* --- Matrix grid ---------------------------------------------------------
     A matrix cell (data-shape="2x1") gets one box per entry. The grid only
     writes the text "[[a], [b]]" into the cell's own field, which is what is
     submitted and previewed; the field stays editable, and text typed or pasted
     there fills the grid when its shape fits. */

  function splitTop(text) {  // "a, (b, c), [d]" -> ["a", "(b, c)", "[d]"]
    var parts = [], depth = 0, start = 0;
    for (var i = 0; i < text.length; i++) {
      var c = text.charAt(i);
      if (c === "(" || c === "[") { depth++; }
      else if (c === ")" || c === "]") { depth--; }
      else if (c === "," && depth === 0) { parts.push(text.slice(start, i).trim()); start = i + 1; }
    }
    parts.push(text.slice(start).trim());
    return parts;
  }

  function unbracket(text) {
    text = text.trim();
    return text.charAt(0) === "[" && text.charAt(text.length - 1) === "]" ? text.slice(1, -1).trim() : null;
  }

  /* "[[a, b], [c, d]]", "[a, b]" or rows of tab-separated values (a spreadsheet
     copy) -> [["a", "b"], ["c", "d"]]; null when the text is not a matrix. */
  function parseMatrix(text) {
    var inner = unbracket(text);
    if (inner === null) {
      var lines = text.split(/\r?\n/).filter(function (l) { return l.trim(); });
      if (!lines.length || text.indexOf("\t") === -1 && lines.length < 2) { return null; }
      return lines.map(function (l) { return l.trim().split(/\t|\s*,\s*|\s+/); });
    }
    if (inner.charAt(0) !== "[") { return [splitTop(inner)]; }
    var rows = splitTop(inner).map(unbracket);
    if (rows.some(function (r) { return r === null; })) { return null; }
    return rows.map(splitTop);
  }

  function matrixText(rows) {
    var any = rows.some(function (r) { return r.some(function (v) { return v.trim(); }); });
    if (!any) { return ""; }
    return "[" + rows.map(function (r) {
      return "[" + r.map(function (v) { return v.trim(); }).join(", ") + "]";
    }).join(", ") + "]";
  }

  function attachGrid(field) {
    var shape = field.getAttribute("data-shape").split("x").map(Number);
    var rows = shape[0], cols = shape[1];
    var label = field.getAttribute("data-label");
    var words = rows + "×" + cols + " matrix";
    var grid = element("fieldset", "matrix-grid");
    grid.setAttribute("data-rows", rows);
    grid.setAttribute("data-cols", cols);
    grid.appendChild(element("legend", null, label + ": " + words));
    var body = element("div", "matrix-body");
    var entries = [];
    for (var r = 0; r < rows; r++) {
      var line = element("div", "matrix-row");
      entries.push([]);
      for (var c = 0; c < cols; c++) {
        var entry = element("input", "matrix-entry");
        entry.type = "text";
        entry.autocomplete = "off";
        entry.setAttribute("autocapitalize", "off");
        entry.spellcheck = false;
        entry.setAttribute("aria-label", "row " + (r + 1) + ", column " + (c + 1) + " of " + label);
        entry.id = field.id + "-r" + (r + 1) + "c" + (c + 1);
        entry.setAttribute("data-row", r);
        entry.setAttribute("data-col", c);
        line.appendChild(entry);
        entries[r].push(entry);
      }
      body.appendChild(line);
    }
    grid.appendChild(body);
    var note = element("p", "grid-note");
    note.setAttribute("aria-live", "polite");
    grid.appendChild(note);
    var cell = field.parentNode;
    cell.insertBefore(grid, field);
    var asText = element("label", "as-text", "as text ");
    asText.htmlFor = field.id;
    cell.insertBefore(asText, field);
    cell.classList.add("has-grid");

    function values() {
      return entries.map(function (row) { return row.map(function (e) { return e.value; }); });
    }
    function fill(matrix) {
      entries.forEach(function (row, i) { row.forEach(function (e, j) { e.value = matrix[i][j]; }); });
    }
    function fits(matrix) {
      return matrix && matrix.length === rows && matrix.every(function (r) { return r.length === cols; });
    }
    function writeText(text) {
      field.value = text;
      field.dispatchEvent(new Event("input"));  // the live preview reads the field
    }
    function warn(text) { note.textContent = text; note.classList.add("grid-warn"); }
    function fromText() {
      if (!field.value.trim()) { fill(values().map(function (r) { return r.map(function () { return ""; }); })); note.textContent = ""; return; }
      var matrix = parseMatrix(field.value);
      if (fits(matrix)) { fill(matrix); note.textContent = ""; }
      else { warn("The text is not a " + words + "; the text is what will be submitted."); }
    }
    entries.forEach(function (row) {
      row.forEach(function (entry) {
        entry.addEventListener("input", function () { note.textContent = ""; writeText(matrixText(values())); });
        entry.addEventListener("paste", function (event) {
          var text = (event.clipboardData || window.clipboardData).getData("text");
          var matrix = parseMatrix(text);
          if (!matrix || matrix.length * matrix[0].length < 2) { return; }  // one value: paste as usual
          event.preventDefault();
          if (fits(matrix)) {
            fill(matrix);
            note.classList.remove("grid-warn");
            note.textContent = "Pasted a " + words + ".";
            writeText(matrixText(values()));
          } else {
            writeText(text.trim());
            warn("Pasted a " + matrix.length + "×" + matrix[0].length +
              " matrix, but this cell is a " + words + ": check it in the text below.");
          }
        });
      });
    });
    field.addEventListener("input", function (event) { if (event.isTrusted) { fromText(); } });
    fromText();
  }

  form.querySelectorAll(".answer-input[data-shape]").forEach(attachGrid);


  /* --- Graph <-> cells --------------------------------------------------------
     Hovering or focusing a node lights up its cells (its forward value, its
     local derivatives, its gradient); focusing a cell lights up its node and
     the edges it is about. Both drawings (wide and narrow) are kept in step. */

  function rowsOfNode(name) {
    return Array.prototype.filter.call(document.querySelectorAll("tr[data-step-id]"), function (row) {
      var id = row.getAttribute("data-step-id");
      return id === "forward:" + name || id === "grad:" + name || id.indexOf("local:" + name + "/") === 0;
    });
  }

  function graphPartsOfStep(id) {
    var family = id.split(":")[0], rest = id.slice(family.length + 1);
    var node = family === "local" ? rest.split("/")[0] : rest;
    var parts = Array.prototype.slice.call(document.querySelectorAll('#graph [data-node="' + CSS.escape(node) + '"]'));
    var edges = [];
    if (family === "local") {
      edges = document.querySelectorAll('#graph .edge[data-to="' + CSS.escape(node) + '"][data-from="' + CSS.escape(rest.split("/")[1]) + '"]');
    } else if (family === "grad") {  // the gradient flows back along every outgoing edge
      edges = document.querySelectorAll('#graph .edge[data-from="' + CSS.escape(node) + '"]');
    }
    return parts.concat(Array.prototype.slice.call(edges));
  }

  function light(list, on) { list.forEach(function (el) { el.classList.toggle("linked", on); }); }

  document.querySelectorAll("#graph [data-node]").forEach(function (node) {
    var name = node.getAttribute("data-node");
    function show(on) {
      light(rowsOfNode(name), on);
      light(Array.prototype.slice.call(document.querySelectorAll('#graph [data-node="' + CSS.escape(name) + '"]')), on);
    }
    ["mouseenter", "focus"].forEach(function (type) { node.addEventListener(type, function () { show(true); }); });
    ["mouseleave", "blur"].forEach(function (type) { node.addEventListener(type, function () { show(false); }); });
    node.addEventListener("click", function (event) {  // go to the first cell, focused
      var href = node.getAttribute("href");
      var target = href && document.getElementById(href.slice(1));
      if (!target) { return; }
      event.preventDefault();
      var grid = target.parentNode.querySelector(".matrix-entry");
      (grid || target).focus();
    });
  });

  form.querySelectorAll("tr[data-step-id]").forEach(function (row) {
    var parts = graphPartsOfStep(row.getAttribute("data-step-id"));
    row.addEventListener("focusin", function () { light(parts, true); row.classList.add("linked"); });
    row.addEventListener("focusout", function () { light(parts, false); row.classList.remove("linked"); });
  });

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
      if (!title) {
        title = document.createElementNS("http://www.w3.org/2000/svg", "title");
        group.insertBefore(title, group.firstChild);
      }
      var label = group.getAttribute("data-label") || "";
      title.textContent = label + (status ? (label ? ": " : "") + STATUS[status][1] : "");
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

  /* After grading, the focus goes to the summary (read out by the live region),
     which links to the first cell that needs work. */
  function firstToFix(payload) {
    var bad = ["incorrect", "invalid", "missing"];
    var rows = document.querySelectorAll("[data-step-id]");
    for (var i = 0; i < rows.length; i++) {
      var id = rows[i].getAttribute("data-step-id");
      for (var j = 0; j < payload.steps.length; j++) {
        if (payload.steps[j].id === id && bad.indexOf(payload.steps[j].status) !== -1) { return rows[i]; }
      }
    }
    return null;
  }

  function focusSummary(payload) {
    var body = document.getElementById("feedback-body");
    var row = payload.steps ? firstToFix(payload) : null;
    var input = row && row.querySelector(".matrix-entry, .answer-input, input");
    if (input && row.getAttribute("data-step-id") !== "answer") {
      var label = row.querySelector("th label");
      var p = element("p", "first-to-fix", "First to fix: ");
      var link = element("a", null, label ? label.textContent : row.getAttribute("data-step-id"));
      link.href = "#" + input.id;
      link.addEventListener("click", function (event) { event.preventDefault(); input.focus(); });
      p.appendChild(link);
      body.appendChild(p);
    }
    body.focus();
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
      if (watchingSubmit) { watchingSubmit = false; focusSummary(payload); }
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

  var watchingSubmit = false;  // focus moves only after the student's own Submit

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    watchingSubmit = true;
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
