/* Start the DKFDS components once the page is parsed (the script is loaded at the end of <body>). */
(function () {
  "use strict";
  if (window.DKFDS && typeof window.DKFDS.init === "function") {
    window.DKFDS.init();
  }
})();
