/* The page's own behaviour that needs no server: on a phone the filter panel starts closed
   (the filters alone would fill the screen), its summary line still saying what is filtered.
   Served from this server like every asset; nothing runs inline, so the CSP stays strict. */
(function () {
  "use strict";
  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.page = {
    filtersOpen: function () {
      return !window.matchMedia("(max-width: 640px)").matches;
    },
    /* The view's language on <html> too: a screen reader reads the whole page in it. */
    htmlLang: function (lang) {
      if (lang) {
        document.documentElement.lang = lang;
      }
      return lang;
    },
  };

  /* The charts after the first are asked for once the first has drawn (dashboard/layout.py,
     FIRST_DRAWN): the first chart in the page's order, whichever it is. A page whose first
     chart cannot draw still gets the others after a few seconds. */
  var WAIT_MS = 4000;
  var started = Date.now();
  function firstDrawn() {
    var charts = document.querySelector(".charts");
    var first = charts && charts.querySelector(".graph .js-plotly-plot");
    /* Every chart has a title (its text block), which Plotly draws last. */
    var drawn = first && first.querySelector(".gtitle");
    var late = Date.now() - started > WAIT_MS;
    var set = window.dash_clientside && window.dash_clientside.set_props;
    if (charts && set && (drawn || late)) {
      /* After the next frame: the first chart is on the screen before the others start. */
      window.requestAnimationFrame(function () {
        set("first-chart-drawn", { data: true });
      });
    } else if (charts || !late) {
      window.setTimeout(firstDrawn, 50);
    } /* else not the dashboard: the curation pages load this script too */
  }
  firstDrawn();
})();
