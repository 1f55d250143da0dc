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
})();
