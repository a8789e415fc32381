// Body map of an independent examination: a click on a region fills the next empty injury
// row (view, region, x/y as fractions of the view's box), the same geometry as the forensic
// examination's diagram (cases/static/cases/body.js). Without a mouse the selects suffice.
(function () {
  "use strict";

  function setup(svg) {
    var form = document.querySelector("[data-injury-form]");
    if (!form || !svg.classList.contains("is-clickable")) { return; }
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
      var rows = form.querySelectorAll("[data-injury-row]");
      for (var i = 0; i < rows.length; i++) {
        var viewSelect = rows[i].querySelector("select[name$=-view]");
        if (viewSelect.value) { continue; }
        viewSelect.value = view;
        rows[i].querySelector("select[name$=-body_region]").value = region.dataset.region;
        rows[i].querySelector("input[name$=-x]").value =
          Math.min(1, Math.max(0, (local.x - offset) / width)).toFixed(4);
        rows[i].querySelector("input[name$=-y]").value =
          Math.min(1, Math.max(0, local.y / 220)).toFixed(4);
        rows[i].querySelector("select[name$=-kind]").focus();
        return;
      }
    });
  }

  document.querySelectorAll("[data-body-diagram]").forEach(setup);
}());
