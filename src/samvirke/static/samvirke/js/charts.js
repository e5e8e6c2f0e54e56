/* Draw every Vega-Lite chart of the page: each <script type="application/json" data-vega-spec="ID">
   holds a specification built on the server; it is drawn as SVG into the element with that id.
   The same numbers are in a table next to each chart, so a chart that fails only logs. */
(function () {
  "use strict";
  if (typeof window.vegaEmbed !== "function") {
    return;
  }
  var specs = document.querySelectorAll('script[type="application/json"][data-vega-spec]');
  Array.prototype.forEach.call(specs, function (element) {
    var target = document.getElementById(element.getAttribute("data-vega-spec"));
    if (!target) {
      return;
    }
    var spec;
    try {
      spec = JSON.parse(element.textContent);
    } catch (error) {
      window.console.error("chart specification is not JSON", error);
      return;
    }
    window
      .vegaEmbed(target, spec, { actions: false, renderer: "svg", mode: "vega-lite", tooltip: false })
      .then(function () {
        // The wrapper (role="img" with a label) names the chart and a table holds its numbers:
        // the drawing itself stays out of the accessibility tree.
        var svg = target.querySelector("svg");
        if (svg) {
          svg.setAttribute("aria-hidden", "true");
          svg.setAttribute("focusable", "false");
        }
        target.setAttribute("data-rendered", "true");
      })
      .catch(function (error) {
        window.console.error("chart not drawn", error);
      });
  });
})();
