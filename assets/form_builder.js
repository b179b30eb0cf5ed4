// Settings → Contact forms: on a desktop a field row can be dragged to another place or section (the move
// up/down buttons stay, everywhere). A drop writes "field:section:position:nonce" into the hidden #field-drop
// input, whose change the page sends to the server; section 0 is the group above the first heading.
(function () {
  var desktop = window.matchMedia("(pointer: fine) and (min-width: 768px)");
  var dragged = null;
  var scheduled = false;

  var style = document.createElement("style");
  style.textContent =
    "#form-fields .field-row[draggable=true] { cursor: grab; }" +
    "#form-fields .field-row.dragging { opacity: 0.45; }" +
    "#form-fields .field-row.drop-before { box-shadow: inset 0 3px 0 var(--accent-9); }" +
    "#form-fields .field-row.drop-after { box-shadow: inset 0 -3px 0 var(--accent-9); }" +
    "#form-fields .form-section.drop-top .section-header { box-shadow: inset 0 -3px 0 var(--accent-9); }" +
    "#form-fields .form-section.drop-end { box-shadow: 0 0 0 2px var(--accent-9); }";
  document.head.appendChild(style);

  function arm() {
    scheduled = false;
    var want = desktop.matches ? "true" : "false";
    document.querySelectorAll("#form-fields .field-row[data-field-id]").forEach(function (row) {
      if (row.getAttribute("draggable") !== want) row.setAttribute("draggable", want);
    });
  }

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    window.requestAnimationFrame(arm);
  }

  function clear() {
    document.querySelectorAll("#form-fields .drop-before, #form-fields .drop-after, #form-fields .drop-top, #form-fields .drop-end")
      .forEach(function (el) {
        el.classList.remove("drop-before", "drop-after", "drop-top", "drop-end");
      });
  }

  // Where a drop at this event would put the dragged row: before/after a row, at the top or the end of a section.
  function place(event) {
    var el = event.target instanceof Element ? event.target : null;
    if (!el || !dragged) return null;
    var section = el.closest("#form-fields .form-section[data-section-id]");
    if (!section) return null;
    var row = el.closest(".field-row[data-field-id]");
    if (row === dragged) return { section: section, self: true };
    if (row) {
      var box = row.getBoundingClientRect();
      return { section: section, row: row, after: event.clientY > box.top + box.height / 2 };
    }
    return { section: section, top: !!el.closest(".section-header") };
  }

  function rowsOf(section) {
    return Array.prototype.slice.call(section.querySelectorAll(".field-row[data-field-id]")).filter(function (r) {
      return r !== dragged;
    });
  }

  function send(fieldId, sectionId, position) {
    var input = document.getElementById("field-drop");
    if (!input) return;
    var setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
    setter.call(input, [fieldId, sectionId, position, Date.now()].join(":"));
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("dragstart", function (event) {
    var el = event.target instanceof Element ? event.target : null;
    var row = el ? el.closest("#form-fields .field-row[draggable=true]") : null;
    if (!row) return;
    dragged = row;
    row.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", row.getAttribute("data-key") || "");
  });

  document.addEventListener("dragover", function (event) {
    var where = place(event);
    if (!where) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    clear();
    if (where.self) return;
    if (where.row) where.row.classList.add(where.after ? "drop-after" : "drop-before");
    else where.section.classList.add(where.top ? "drop-top" : "drop-end");
  });

  document.addEventListener("drop", function (event) {
    var where = place(event);
    if (!where) return;
    event.preventDefault();
    clear();
    if (where.self) return;
    var others = rowsOf(where.section);
    var position = where.row ? others.indexOf(where.row) + (where.after ? 1 : 0) : where.top ? 0 : others.length;
    send(dragged.getAttribute("data-field-id"), where.section.getAttribute("data-section-id"), position);
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    clear();
  });

  if (desktop.addEventListener) desktop.addEventListener("change", schedule);
  new MutationObserver(schedule).observe(document.documentElement, { childList: true, subtree: true });
  schedule();
})();
