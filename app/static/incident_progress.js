// While an incident's decision is being applied, its progress line is fetched again every two seconds
// (no page reload: the line is a status region that screen readers announce as it changes). Once it has
// finished, the "being applied" message above the page goes: the line below it says what happened.
(function () {
  function dropApplyingMessage() {
    Array.prototype.forEach.call(document.querySelectorAll(".flash-applying"), function (message) {
      var box = message.parentNode;
      message.remove();
      if (box && box.classList.contains("flashes") && !box.children.length) { box.remove(); }
    });
  }

  function follow() {
    var line = document.getElementById("application");
    if (!line) { return; }
    if (!line.dataset.poll) { dropApplyingMessage(); return; }
    window.setTimeout(function () {
      fetch(line.dataset.poll, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok && !response.redirected ? response.text() : null; })
        .then(function (html) {
          if (html === null) {  // signed out, or an error: say so rather than stand still
            line.append(" ", line.dataset.pollFailed);
            return;
          }
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var fresh = holder.querySelector("#application");
          if (fresh) { line.replaceWith(fresh); follow(); }
        })
        .catch(function () { follow(); });
    }, 2000);
  }
  follow();
})();
