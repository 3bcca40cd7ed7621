/* The print button of printable reports: window.print() from a <script src>, since the CSP
 * allows no inline handler. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
});
