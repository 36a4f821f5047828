// The table of contents starts folded on phones; the "Show code" toggle: a class on <body>, remembered for the session. No other script, nothing fetched.
(function () {
  if (window.matchMedia && window.matchMedia("(max-width: 60rem)").matches) {
    document.querySelectorAll("nav.toc details").forEach(function (d) { d.removeAttribute("open"); });
  }
  var button = document.querySelector("button.toggle-code");
  if (!button) return;
  function set(on) {
    document.body.classList.toggle("show-code", on);
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? "Hide code" : "Show code";
  }
  var stored = false;
  try { stored = window.sessionStorage.getItem("crackdown-show-code") === "1"; } catch (e) { stored = false; }
  set(stored);
  button.addEventListener("click", function () {
    var on = !document.body.classList.contains("show-code");
    set(on);
    try { window.sessionStorage.setItem("crackdown-show-code", on ? "1" : "0"); } catch (e) { /* file:// may refuse storage */ }
  });
})();
