/* The alarm board: after each htmx refresh, a visual cue while any alarm is unanswered (the
   page title counts them, the board turns red) and a sound cue (alarm.wav, generated, served
   from here — nothing external) once the user has switched sound on: browsers play sound only
   after a tap on the page. No inline script (the CSP allows none). */
(function () {
  "use strict";
  var enabled = false;
  var baseTitle = document.title;

  function unanswered() {
    return document.querySelectorAll("[data-unanswered-id]").length;
  }

  function cue() {
    var board = document.getElementById("board");
    if (!board) { return; }
    var n = unanswered();
    board.classList.toggle("alarm-ringing", n > 0);
    board.setAttribute("data-ringing", n > 0 ? "true" : "false");
    document.title = n > 0 ? "(" + n + ") " + baseTitle : baseTitle;
    var audio = document.getElementById("alarm-sound");
    if (n > 0 && enabled && audio) {
      audio.currentTime = 0;
      var played = audio.play();
      if (played && played.catch) { played.catch(function () {}); }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.getElementById("sound-toggle");
    if (toggle) {
      toggle.addEventListener("click", function () {
        enabled = !enabled;
        toggle.setAttribute("aria-pressed", enabled ? "true" : "false");
        toggle.textContent = enabled ? toggle.getAttribute("data-on") : toggle.getAttribute("data-off");
        cue();
      });
    }
    cue();
  });
  document.addEventListener("htmx:afterSwap", cue);
})();
