/* The figures table (dashboard/table.py): a figure as a card on a phone, the columns that
   fit the screen, and emptying the grid's cache when the view changes. Served from this
   server like every asset; nothing here runs inline, so the page's CSP stays strict. */
(function () {
  "use strict";
  var h = function (tag, key, className, text) {
    return React.createElement(tag, { key: key, className: className }, text);
  };

  var components = (window.dashAgGridComponentFunctions =
    window.dashAgGridComponentFunctions || {});

  /* One figure as a card: its label, value, where and when, and the quote. The texts are
     React children, so a report's markup is shown as text, never run. */
  components.FigureCard = function (props) {
    var d = props.data;
    if (!d) {
      return null;
    }
    return React.createElement("div", { className: "figure-card" }, [
      h("div", "label", "figure-card-label", d.label),
      h("div", "value", "figure-card-value", d.value),
      h("div", "where", "figure-card-meta", [d.city, d.industry, d.period].join(" · ")),
      h("div", "quote", "figure-card-quote", d.quote),
    ]);
  };

  var NARROW = "(max-width: 640px)";

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.table = {
    /* The columns for this screen, and their rows' height: one column of cards on a phone. */
    columns: function (defs, options) {
      if (!defs) {
        return [window.dash_clientside.no_update, window.dash_clientside.no_update];
      }
      var kind = window.matchMedia(NARROW).matches ? "narrow" : "wide";
      var grid = { rowHeight: defs.heights[kind], localeText: defs.locale };
      return [defs[kind], Object.assign({}, options, grid)];
    },
    /* A new view or dataset version: forget the rows fetched, back to the first page. */
    refresh: function () {
      if (window.dash_ag_grid && window.dash_ag_grid.getApiAsync) {
        window.dash_ag_grid.getApiAsync("table").then(function (api) {
          api.purgeInfiniteCache();
          api.paginationGoToFirstPage();
        });
      }
      return window.dash_clientside.no_update;
    },
  };
})();
