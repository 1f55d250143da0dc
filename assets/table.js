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

  /* Run ``then(api)`` once the table's grid has asked for its first rows: the grid there
     is, or the one that replaced it (a grid in another language is a new grid). */
  function whenRowsAsked(then, tries) {
    tries = tries === undefined ? 100 : tries;
    if (!(window.dash_ag_grid && window.dash_ag_grid.getApiAsync) || tries <= 0) {
      return;
    }
    window.dash_ag_grid.getApiAsync("table").then(function (api) {
      if (!api.isDestroyed() && Object.keys(api.getCacheBlockState() || {}).length) {
        then(api);
      } else {
        window.setTimeout(function () {
          whenRowsAsked(then, tries - 1);
        }, 50);
      }
    });
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.table = {
    /* The columns for this screen, and their rows' height: one column of cards on a phone.
       AG Grid's infinite model throws on a new row height that comes before it has made its
       cache (as the page opens), so the height is set once the grid holds rows. */
    columns: function (defs, options) {
      if (!defs) {
        return [window.dash_clientside.no_update, window.dash_clientside.no_update];
      }
      var kind = window.matchMedia(NARROW).matches ? "narrow" : "wide";
      var height = defs.heights[kind];
      if (height !== (options || {}).rowHeight) {
        whenRowsAsked(function (api) {
          api.setGridOption("rowHeight", height);
        });
      }
      return [defs[kind], window.dash_clientside.no_update];
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
