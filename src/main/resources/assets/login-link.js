// The one-time sign-in link's page (/login/link#TOKEN): the token is in the fragment, which the
// browser never sends; it goes into the form, and out of the address bar and the history.
(function () {
  "use strict";
  var token = location.hash.slice(1);
  history.replaceState(null, "", location.pathname);
  document.getElementsByName("token")[0].value = token;
  if (!token) {
    document.getElementById("no-token").hidden = false;
    document.getElementById("sign-in").disabled = true;
  }
})();
