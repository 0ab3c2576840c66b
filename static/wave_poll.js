// While a wave sends, refresh its figures every 3 seconds (the page works without it).
// Loaded by surveys/wave_detail.html only while the wave sends; a file, not an inline
// script, so the staff pages' Content-Security-Policy can allow scripts from 'self' only.
(function () {
  var url = window.location.pathname;
  function poll() {
    fetch(url, {headers: {"HX-Request": "true"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var box = document.getElementById("wave-figures");
        box.outerHTML = html;
        if (document.getElementById("wave-figures").dataset.sending === "true") setTimeout(poll, 3000);
      });
  }
  setTimeout(poll, 3000);
})();
