/* The ability assessment form on a phone (issue 7 C.1): keep the answered count, the count
 * per section and "尚有 N 项未评" live while the worker taps, before anything is saved.
 * The server renders the same numbers, so the page reads right without JavaScript too.
 * Loaded with a <script src> (the CSP allows no inline script). */
(function () {
  "use strict";

  function update(form) {
    var total = 0, answered = 0, missing = [];
    form.querySelectorAll("section[data-section]").forEach(function (section) {
      var items = section.querySelectorAll("fieldset.item");
      if (!items.length) return;
      var done = 0;
      items.forEach(function (item) {
        if (item.querySelector("input[type=radio]:checked")) {
          done += 1;
          item.classList.remove("has-error");
        } else {
          missing.push(item);
        }
      });
      total += items.length;
      answered += done;
      var key = section.getAttribute("data-section");
      document.querySelectorAll('[data-count-for="' + key + '"]').forEach(function (el) {
        el.textContent = done + "/" + items.length;
        var link = el.closest("a");
        if (link) link.classList.toggle("complete", done === items.length);
      });
    });
    var answeredEl = document.getElementById("answered-count");
    if (answeredEl) answeredEl.textContent = String(answered);
    var bar = document.getElementById("answered-bar");
    if (bar) bar.value = answered;
    var line = document.getElementById("missing-line");
    if (line) {
      line.textContent = missing.length ? "尚有 " + missing.length + " 项未评" : total + " 项已全部评定，可以提交";
      line.classList.toggle("complete", missing.length === 0);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.assessment-form");
    if (!form) return;
    form.addEventListener("change", function () { update(form); });
    update(form);
  });
})();
