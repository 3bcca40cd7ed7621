/* 颐养 — the phone's position, only when the worker asks for it (or allows it on a form).
   No map service: the position goes into the form's latitude/longitude fields and nowhere else.
   - <button data-geo-fill>            fills the enclosing form's latitude/longitude, then submits it
                                       when the button also has data-geo-submit;
   - <form data-geo-auto>              fills them when the form appears (check-in on a visit);
   - <a data-geo-near href="…">        follows the link with &lat=…&lon=… added (nearest first).
   [data-geo-status] in the same form (or next to the link) says what happened, in Chinese. */
(function () {
  "use strict";
  var TIMEOUT_MS = 10000;

  function say(scope, text) {
    var out = scope && scope.querySelector ? scope.querySelector("[data-geo-status]") : null;
    if (out) { out.textContent = text; }
  }

  function locate(done, scope) {
    if (!navigator.geolocation) {
      say(scope, "此设备或浏览器无法定位。");
      return;
    }
    say(scope, "正在取得手机定位…");
    navigator.geolocation.getCurrentPosition(function (pos) {
      done(pos.coords.latitude.toFixed(6), pos.coords.longitude.toFixed(6), Math.round(pos.coords.accuracy));
    }, function (err) {
      say(scope, err.code === 1 ? "未允许定位：请在浏览器设置中允许本网站使用位置。"
                                : "暂时无法取得定位（需在 HTTPS 或本机地址下使用），可不定位继续。");
    }, { enableHighAccuracy: true, timeout: TIMEOUT_MS, maximumAge: 60000 });
  }

  function fill(form, submit) {
    locate(function (lat, lon, accuracy) {
      var la = form.querySelector("[name=latitude]"), lo = form.querySelector("[name=longitude]");
      if (la) { la.value = lat; }
      if (lo) { lo.value = lon; }
      say(form, "已取得定位（精度约 " + accuracy + " 米）。");
      if (submit) { form.requestSubmit ? form.requestSubmit() : form.submit(); }
    }, form);
  }

  function wire(root) {
    root.querySelectorAll("button[data-geo-fill]").forEach(function (b) {
      if (b.dataset.geoWired) { return; }
      b.dataset.geoWired = "1";
      b.addEventListener("click", function (ev) {
        ev.preventDefault();
        fill(b.form || b.closest("form"), b.hasAttribute("data-geo-submit"));
      });
    });
    root.querySelectorAll("form[data-geo-auto]").forEach(function (f) {
      if (f.dataset.geoWired) { return; }
      f.dataset.geoWired = "1";
      fill(f, false);
    });
    root.querySelectorAll("a[data-geo-near]").forEach(function (a) {
      if (a.dataset.geoWired) { return; }
      a.dataset.geoWired = "1";
      a.addEventListener("click", function (ev) {
        ev.preventDefault();
        locate(function (lat, lon) {
          var url = new URL(a.href, window.location.href);
          url.searchParams.set("lat", lat);
          url.searchParams.set("lon", lon);
          window.location.assign(url.toString());
        }, a.parentNode);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:load", function (ev) { wire(ev.target); });
}());
