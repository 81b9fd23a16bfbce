/* The backward-pass replay: one gradient at a time, its node marked on the graph.
   Without JavaScript every step is listed at once. */
(function () {
  "use strict";

  var section = document.getElementById("replay");
  if (!section) { return; }
  var items = Array.prototype.slice.call(section.querySelectorAll(".replay-steps li"));
  var controls = section.querySelector(".replay-controls");
  var next = document.getElementById("replay-next");
  var all = document.getElementById("replay-all");
  var shown = 0;

  function mark(node) {
    var marked = document.querySelectorAll(".replay-current");
    Array.prototype.forEach.call(marked, function (el) { el.classList.remove("replay-current"); });
    if (!node) { return; }
    var targets = document.querySelectorAll('[data-node="' + CSS.escape(node) + '"]');
    Array.prototype.forEach.call(targets, function (el) { el.classList.add("replay-current"); });
  }

  function reveal(count) {
    shown = Math.min(count, items.length);
    items.forEach(function (item, index) { item.hidden = index >= shown; });
    mark(shown ? items[shown - 1].getAttribute("data-node") : null);
    next.disabled = shown >= items.length;
    if (shown) { items[shown - 1].setAttribute("tabindex", "-1"); items[shown - 1].focus(); }
  }

  controls.hidden = false;
  reveal(1);
  next.addEventListener("click", function () { reveal(shown + 1); });
  all.addEventListener("click", function () { reveal(items.length); mark(null); });
}());
