// Warn before leaving a form with unsaved edits (the page marks them with #dirty-flag[data-dirty="true"]).
(function () {
  function dirty() {
    var el = document.getElementById("dirty-flag");
    return !!el && el.getAttribute("data-dirty") === "true";
  }
  window.addEventListener("beforeunload", function (e) {
    if (dirty()) { e.preventDefault(); e.returnValue = ""; }
  });
  document.addEventListener("click", function (e) {
    var a = e.target && e.target.closest ? e.target.closest("a[href]") : null;
    if (!a || !dirty() || a.target === "_blank") return;
    var href = a.getAttribute("href") || "";
    if (href.startsWith("tel:") || href.startsWith("mailto:") || href.startsWith("sms:") || href.startsWith("viber:")) return;
    if (!window.confirm(a.ownerDocument.documentElement.lang === "fr"
        ? "Vous avez des modifications non enregistrées. Quitter quand même ?"
        : "You have unsaved changes. Leave anyway?")) {
      e.preventDefault(); e.stopPropagation();
    }
  }, true);
})();
