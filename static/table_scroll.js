// A wide table scrolls inside its box (.table-wrap): a box that scrolls takes the keyboard
// focus, so that arrow keys scroll it too (WCAG 2.1.1); one that fits stays out of the tab order.
(function () {
  function mark() {
    document.querySelectorAll(".table-wrap").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1) {
        box.setAttribute("tabindex", "0");
      } else if (!box.hasAttribute("data-always-focusable")) {
        box.removeAttribute("tabindex");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", mark);
  window.addEventListener("resize", mark);
  document.addEventListener("htmx:afterSettle", mark);
})();
