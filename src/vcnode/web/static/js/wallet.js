// The "Ask the learner's wallet" waiting page: asks the node every POLL_MS how the request stands (the same
// key as the page), says so in the page's status region, and once the wallet has answered (or the request
// expired or was closed) loads the page again, which then shows the result. Without this script the page's
// "Check again" button does the same by hand. No inline script: the page's Content-Security-Policy allows
// only this node's files.
(function () {
  'use strict';

  var POLL_MS = 1000;
  var box = document.getElementById('wallet-state');
  if (!box) {
    return;
  }
  var stateUrl = box.getAttribute('data-state-url');
  var pageUrl = box.getAttribute('data-page-url');
  var messageBox = document.getElementById('wallet-message');
  var refusedBox = document.getElementById('wallet-refused');
  var checkForm = document.getElementById('wallet-check');
  var state = box.getAttribute('data-state');
  var failures = 0;

  if (checkForm) {
    checkForm.hidden = true; // the script checks by itself
  }

  function show(answer) {
    if (answer.state !== state) {
      state = answer.state;
      box.setAttribute('data-state', state);
      messageBox.textContent = answer.message;
    }
    var refused = answer.refused || '';
    if (refusedBox.textContent !== refused) {
      refusedBox.textContent = refused;
      refusedBox.hidden = refused === '';
    }
  }

  function poll() {
    fetch(stateUrl, {headers: {Accept: 'application/json'}, credentials: 'same-origin', cache: 'no-store'})
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (answer) {
        failures = 0;
        show(answer);
        if (answer.finished) {
          window.location.replace(pageUrl);
          return;
        }
        setTimeout(poll, POLL_MS);
      })
      .catch(function () {
        // A node restarting or a dropped connection: keep trying, more slowly; after a while the visitor
        // gets the button back.
        failures += 1;
        if (failures >= 10 && checkForm) {
          checkForm.hidden = false;
        }
        setTimeout(poll, POLL_MS * Math.min(10, 1 + failures));
      });
  }

  setTimeout(poll, POLL_MS);
}());
