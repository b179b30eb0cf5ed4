// The contact feed. Older entries load when the end of the feed (#feed-end) scrolls into view, by clicking
// the "Older entries" button (#feed-more), which stays as the fallback without IntersectionObserver.
// Upload zones marked data-capture="environment" get that attribute on their file input (a phone's camera).
// window.crmFeedUploadStart() runs as files are dropped, window.crmFeedUploadProgress(fraction) fills
// #upload-progress while they are sent; the bar hides once the server's count of finished uploads
// (data-finished) has moved past the one seen at the start, whichever of the two arrives first.
(function () {
  var observer = null;
  var watched = null;
  var busyUntil = 0;
  var entries = -1;
  var scheduled = false;

  function visible(el) {
    if (!el || el.offsetParent === null) return false;
    var box = el.getBoundingClientRect();
    return box.top < window.innerHeight + 200 && box.bottom > -200;
  }

  function loadMore() {
    var button = document.getElementById("feed-more");
    if (!button || button.disabled || Date.now() < busyUntil) return;
    busyUntil = Date.now() + 2000;
    button.click();
  }

  function watchEnd() {
    var end = document.getElementById("feed-end");
    if (end === watched) return;
    if (observer) observer.disconnect();
    observer = null;
    watched = end;
    if (end && "IntersectionObserver" in window) {
      observer = new IntersectionObserver(
        function (seen) {
          if (seen.some(function (e) { return e.isIntersecting; })) loadMore();
        },
        { rootMargin: "200px 0px" }
      );
      observer.observe(end);
    }
  }

  function markCapture() {
    var inputs = document.querySelectorAll("[data-capture] input[type=file]:not([capture])");
    for (var i = 0; i < inputs.length; i++) {
      var zone = inputs[i].closest("[data-capture]");
      inputs[i].setAttribute("capture", zone.getAttribute("data-capture"));
    }
  }

  function check() {
    scheduled = false;
    watchEnd();
    markCapture();
    var count = document.querySelectorAll("#history .feed-entry").length;
    if (count !== entries) {
      entries = count;
      busyUntil = 0;
    }
    // A page that arrived while the end stays in view (short pages, tall screens) asks for the next one.
    if ("IntersectionObserver" in window && visible(watched)) loadMore();
  }

  var hideTimer = null;

  function finished(box) {
    return box.dataset.started !== undefined && box.dataset.started !== box.getAttribute("data-finished");
  }

  function hide(box) {
    if (hideTimer) window.clearTimeout(hideTimer);
    hideTimer = null;
    box.style.display = "none";
  }

  window.crmFeedUploadStart = function () {
    var box = document.getElementById("upload-progress");
    if (box) box.dataset.started = box.getAttribute("data-finished") || "";
  };

  window.crmFeedUploadProgress = function (fraction) {
    var box = document.getElementById("upload-progress");
    if (!box) return;
    if (finished(box)) {
      hide(box);
      return;
    }
    if (typeof fraction !== "number") return;
    if (hideTimer) window.clearTimeout(hideTimer);
    hideTimer = null;
    var percent = Math.max(0, Math.min(100, Math.round(fraction * 100)));
    box.style.display = "block";
    box.querySelector(".upload-progress-fill").style.width = percent + "%";
    box.querySelector("[role=progressbar]").setAttribute("aria-valuenow", String(percent));
    box.querySelector(".upload-percent").textContent = String(percent);
    box.querySelector(".upload-sending").style.display = percent < 100 ? "inline" : "none";
    box.querySelector(".upload-checking").style.display = percent < 100 ? "none" : "inline";
    // Should the server's answer never come (a refused request), do not hang on.
    if (percent >= 100) hideTimer = window.setTimeout(function () { hide(box); }, 120000);
  };

  function checkUpload() {
    var box = document.getElementById("upload-progress");
    if (box && box.style.display !== "none" && finished(box)) hide(box);
  }

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    window.requestAnimationFrame(check);
  }

  new MutationObserver(function (records) {
    if (records.some(function (r) { return r.type === "attributes"; })) checkUpload();
    schedule();
  }).observe(document.documentElement, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ["data-finished"],
  });
  window.addEventListener("scroll", schedule, { passive: true });
  schedule();
})();
