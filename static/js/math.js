/* Renders TeX left in the page by the server (span.math.inline, div.math.block)
   with the vendored KaTeX. Exposes window.tracegradeMath for the other scripts. */
(function () {
  "use strict";

  function renderTex(tex, element, displayMode) {
    if (!window.katex) { element.textContent = tex; return; }
    window.katex.render(tex, element, { displayMode: displayMode, throwOnError: false });
  }

  function renderAll(root) {
    root.querySelectorAll(".math.inline, .math.block").forEach(function (element) {
      if (element.dataset.rendered) { return; }
      var tex = element.textContent.trim();
      element.setAttribute("data-tex", tex);
      renderTex(tex, element, element.classList.contains("block"));
      element.dataset.rendered = "1";
    });
  }

  window.tracegradeMath = { render: renderTex, renderAll: renderAll };
  renderAll(document);
})();
