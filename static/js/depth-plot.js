/* The advanced reader's picture: the gradient magnitude reaching layer 1 against
   depth (log scale) for sigmoid, tanh and relu chains, with and without residual
   connections. Numbers come from the server (engine.depth); this script only
   draws them as an inline SVG, plus a table of the same numbers. Curves differ
   by colour, marker shape and dash, so colour is never the only signal. */
(function () {
  "use strict";

  var section = document.getElementById("depth-plot");
  if (!section) { return; }
  var SVG = "http://www.w3.org/2000/svg";
  var W = 640, H = 360, LEFT = 64, RIGHT = 170, TOP = 16, BOTTOM = 44;
  var STYLE = {
    sigmoid: { colour: "#cf222e", marker: "circle" },
    tanh: { colour: "#0969da", marker: "square" },
    relu: { colour: "#1a7f37", marker: "triangle" }
  };

  /* Move the picture into the lesson's advanced-reader block when there is one. */
  var advanced = Array.prototype.find.call(
    document.querySelectorAll(".lesson-body details"),
    function (d) { return /advanced/i.test(d.querySelector("summary").textContent); });
  if (advanced) { advanced.appendChild(section); }

  var controls = section.querySelector("form");
  var status = section.querySelector(".plot-status");
  var area = section.querySelector(".plot-area");

  function svg(tag, attributes, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attributes).forEach(function (k) { node.setAttribute(k, attributes[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function marker(kind, x, y, colour) {
    if (kind === "circle") { return svg("circle", { cx: x, cy: y, r: 3.5, fill: colour }); }
    if (kind === "square") { return svg("rect", { x: x - 3.5, y: y - 3.5, width: 7, height: 7, fill: colour }); }
    return svg("path", { d: "M" + x + "," + (y - 4.5) + " L" + (x + 4.5) + "," + (y + 3.5) +
      " L" + (x - 4.5) + "," + (y + 3.5) + " Z", fill: colour });
  }

  function label(s) { return s.activation + (s.residual ? " + residual" : ""); }

  function draw(data) {
    var positive = [];
    data.series.forEach(function (s) {
      s.values.forEach(function (v) { if (v !== null && v > 0) { positive.push(v); } });
    });
    var lo = Math.floor(Math.log10(Math.min.apply(null, positive.concat([1]))));
    var hi = Math.ceil(Math.log10(Math.max.apply(null, positive.concat([1]))));
    if (hi === lo) { hi = lo + 1; }
    var maxDepth = data.depths[data.depths.length - 1];
    var x = function (d) { return LEFT + (d - 1) / Math.max(1, maxDepth - 1) * (W - LEFT - RIGHT); };
    var y = function (v) { return TOP + (hi - Math.log10(v)) / (hi - lo) * (H - TOP - BOTTOM); };

    var plot = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-labelledby": "depth-plot-title", class: "plot" });
    plot.appendChild(svg("title", { id: "depth-plot-title" },
      "Gradient reaching layer 1 against depth, weight scale " + data.weight_scale + "; the table below has the numbers."));
    var step = Math.max(1, Math.ceil((hi - lo) / 8));
    for (var e = lo; e <= hi; e += step) {
      plot.appendChild(svg("line", { x1: LEFT, x2: W - RIGHT, y1: y(Math.pow(10, e)), y2: y(Math.pow(10, e)), class: "gridline" }));
      plot.appendChild(svg("text", { x: LEFT - 6, y: y(Math.pow(10, e)) + 4, "text-anchor": "end", class: "tick" }, "1e" + e));
    }
    var xStep = Math.max(1, Math.round(maxDepth / 6));
    for (var d = 1; d <= maxDepth; d += xStep) {
      plot.appendChild(svg("text", { x: x(d), y: H - BOTTOM + 16, "text-anchor": "middle", class: "tick" }, String(d)));
    }
    plot.appendChild(svg("text", { x: (LEFT + W - RIGHT) / 2, y: H - 6, "text-anchor": "middle", class: "axis-label" }, "depth (layers)"));
    plot.appendChild(svg("text", { x: 14, y: H / 2, transform: "rotate(-90 14 " + H / 2 + ")", "text-anchor": "middle", class: "axis-label" }, "|∂L/∂h₁| (log scale)"));

    data.series.forEach(function (s, index) {
      var style = STYLE[s.activation];
      var path = [], penDown = false;
      var group = svg("g", { class: "series" });
      s.values.forEach(function (v, i) {
        if (v === null || v <= 0) { penDown = false; return; }  /* a gap, not a zero on a log axis */
        var px = x(data.depths[i]), py = y(v);
        path.push((penDown ? "L" : "M") + px.toFixed(1) + "," + py.toFixed(1));
        penDown = true;
        if (i % xStep === 0) { group.appendChild(marker(style.marker, px, py, style.colour)); }
      });
      group.insertBefore(svg("path", { d: path.join(" "), fill: "none", stroke: style.colour, "stroke-width": 2,
        "stroke-dasharray": s.residual ? "6 4" : "none" }), group.firstChild);
      plot.appendChild(group);
      var ly = TOP + 12 + index * 22, lx = W - RIGHT + 14;
      plot.appendChild(svg("line", { x1: lx, x2: lx + 26, y1: ly, y2: ly, stroke: style.colour, "stroke-width": 2,
        "stroke-dasharray": s.residual ? "6 4" : "none" }));
      plot.appendChild(marker(style.marker, lx + 13, ly, style.colour));
      plot.appendChild(svg("text", { x: lx + 32, y: ly + 4, class: "legend-text" }, label(s)));
    });

    var table = document.createElement("table");
    table.className = "plot-table";
    var caption = table.createCaption();
    caption.textContent = "The numbers in the plot";
    var head = table.createTHead().insertRow();
    ["depth"].concat(data.series.map(label)).forEach(function (text) {
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = text;
      head.appendChild(th);
    });
    var body = table.createTBody();
    data.depths.forEach(function (depth, i) {
      var row = body.insertRow();
      row.insertCell().textContent = depth;
      data.series.forEach(function (s) {
        var v = s.values[i];
        row.insertCell().textContent = v === null ? "overflow" : v.toExponential(2);
      });
    });
    var details = document.createElement("details");
    details.appendChild(document.createElement("summary")).textContent = "Show the numbers as a table";
    details.appendChild(table);
    area.textContent = "";
    area.appendChild(plot);
    area.appendChild(details);
  }

  function load() {
    var query = new URLSearchParams(new FormData(controls)).toString();
    status.textContent = "Computing…";
    fetch(controls.action + "?" + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (!data.ok) { status.textContent = data.message; return; }
        draw(data);
        status.textContent = "Plot drawn for depths 1 to " + data.depths[data.depths.length - 1] +
          ", weight scale " + data.weight_scale + ".";
      })
      .catch(function () { status.textContent = "Could not load the numbers (network problem); try Draw again."; });
  }

  controls.addEventListener("submit", function (event) { event.preventDefault(); load(); });
  load();
})();
