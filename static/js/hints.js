/* Hints on demand: the step's rule and factors from the server (logged there).
   The section stays hidden without JavaScript; text is set with textContent. */
(function () {
  "use strict";

  var section = document.getElementById("hints");
  var form = document.getElementById("answer-form");
  if (!section || !form) { return; }
  var button = document.getElementById("hint-button");
  var select = document.getElementById("hint-step");
  var list = document.getElementById("hint-list");
  var csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  section.hidden = false;

  function show(stepLabel, text, isError) {
    var item = document.createElement("li");
    var label = document.createElement("strong");
    label.textContent = stepLabel + ": ";
    item.appendChild(label);
    item.appendChild(document.createTextNode(text));
    if (isError) { item.className = "error"; }
    list.appendChild(item);
  }

  button.addEventListener("click", function () {
    var option = select.options[select.selectedIndex];
    button.disabled = true;
    fetch(section.getAttribute("data-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify({ step_id: option.value })
    }).then(function (response) {
      return response.json().then(function (data) { return [response.ok, data]; });
    }).then(function (pair) {
      show(option.textContent, pair[0] ? pair[1].hint : pair[1].message, !pair[0]);
    }).catch(function () {
      show(option.textContent, "The hint is unavailable right now; try again.", true);
    }).then(function () { button.disabled = false; });
  });
}());
