// Body diagram: a click on a region puts a mark there and fills the finding form (view,
// region, x/y as fractions of the view's box). Without a mouse the selects do the same job:
// choosing a region by hand clears x/y, and the server places the mark at its centre.
(function () {
  "use strict";

  function setup(svg) {
    var form = document.querySelector("[data-finding-form]");
    if (!form || !svg.classList.contains("is-clickable")) { return; }
    var viewSelect = form.querySelector("[name=view]");
    var regionSelect = form.querySelector("[name=body_region]");
    var xInput = form.querySelector("[name=x]");
    var yInput = form.querySelector("[name=y]");
    var mark = svg.querySelector("[data-pending-mark]");
    var width = parseFloat(svg.dataset.viewWidth);
    var gap = parseFloat(svg.dataset.viewGap);

    svg.addEventListener("click", function (event) {
      var region = event.target.closest("[data-region]");
      var group = event.target.closest("[data-view]");
      if (!region || !group) { return; }
      var point = svg.createSVGPoint();
      point.x = event.clientX;
      point.y = event.clientY;
      var local = point.matrixTransform(svg.getScreenCTM().inverse());
      var view = group.dataset.view;
      var offset = view === "front" ? 0 : width + gap;
      var x = Math.min(1, Math.max(0, (local.x - offset) / width));
      var y = Math.min(1, Math.max(0, local.y / 220));
      viewSelect.value = view;
      regionSelect.value = region.dataset.region;
      xInput.value = x.toFixed(4);
      yInput.value = y.toFixed(4);
      mark.setAttribute("cx", local.x);
      mark.setAttribute("cy", local.y);
      var description = form.querySelector("[name=description]");
      if (description) { description.focus(); }
    });

    function clearPoint() {
      xInput.value = "";
      yInput.value = "";
      mark.setAttribute("cx", -20);
      mark.setAttribute("cy", -20);
    }
    viewSelect.addEventListener("change", clearPoint);
    regionSelect.addEventListener("change", clearPoint);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-body-diagram]").forEach(setup);
  });
})();
