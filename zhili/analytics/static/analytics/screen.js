/* Big screen: the frame is laid out at its design size (1920×1080) and scaled as a whole to fit the
   window, so a laptop or a phone shows the same 16:9 layout without scrolling sideways. The scale is
   kept on the root element, not on the frame, because the minute's refresh replaces the frame. The
   charts keep their design size inside the frame, so a change of window needs no redraw. Loaded in
   the head so that the first paint is already scaled. */
(function () {
  "use strict";
  var WIDTH = 1920;
  var HEIGHT = 1080;

  function fit() {
    var root = document.documentElement;
    var scale = Math.min(root.clientWidth / WIDTH, root.clientHeight / HEIGHT);
    // Rounded down: a box a fraction of a pixel too large would bring the scroll bars back.
    scale = Math.floor(scale * 10000) / 10000;
    if (scale > 0) { root.style.setProperty("--screen-scale", String(scale)); }
  }

  fit();
  window.addEventListener("resize", fit);
})();
