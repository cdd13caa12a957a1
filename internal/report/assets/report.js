// Interactions of report.html: clicking a timeline bar shows the spec's
// details and, for a failed spec, opens its failure with the log excerpts.
(function () {
  "use strict";
  var detail = document.getElementById("detail");
  var selected = null;
  function text(tag, cls, s) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    e.textContent = s;
    return e;
  }
  function show(bar) {
    if (selected) selected.classList.remove("sel");
    selected = bar;
    bar.classList.add("sel");
    var d = bar.dataset;
    if (detail) {
      detail.replaceChildren(
        text("span", "state st-" + d.state, d.state), document.createTextNode(" "),
        text("strong", "", d.name),
        text("span", "meta", " — process " + d.lane + ", " + d.dur));
      detail.hidden = false;
    }
    if (d.failure) {
      var f = document.getElementById(d.failure);
      if (f) {
        document.querySelectorAll("details.failure.focus").forEach(function (x) { x.classList.remove("focus"); });
        f.open = true;
        f.classList.add("focus");
        f.scrollIntoView({block: "start"});
      }
    }
  }
  document.querySelectorAll("svg.timeline .bar").forEach(function (bar) {
    bar.addEventListener("click", function () { show(bar); });
  });
})();
